// Central-difference gradient checks for the importer's own differentiable ops (those not taken from the engine's
// Ops): each single-node graph is differentiated on the tape and compared with (L(x + h) − L(x − h)) / 2h of
// L = Σ r ⊙ y for a fixed random r (f32, h = 1e-2, rtol 1e-2, as for the engine's ops).

using Unravel.Models.Onnx;
using Unravel.Models.Onnx.Proto;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using B = Unravel.Onnx.Tests.OnnxGraphBuilder;

namespace Unravel.Onnx.Tests;

public sealed class OnnxGradientTests
{
    private static void Check(B graph, int[] shape, float lo = -2f, float hi = 2f, int seed = 7)
    {
        OnnxModel model = OnnxModel.Load(graph.Output("y").Save());
        var rng = new Random(seed);
        Tensor x = Tensor.RandomUniform(rng, lo, hi, shape);
        Tensor y0 = model.Forward(x);
        Tensor r = Tensor.RandomNormal(rng, y0.Shape.ToArray());

        using var tape = new Tape();
        Tensor xw = tape.Watch(x.Clone());
        Tensor y = model.Forward(xw);
        Tensor analytic = tape.Backward(y, r)[xw] ?? Tensor.Zeros(shape);

        const float h = 1e-2f;
        float Loss(Tensor input)
        {
            Tensor o = model.Forward(input);
            double s = 0;
            for (int i = 0; i < o.Length; i++) s += (double)o.Data[i] * r.Data[i];
            return (float)s;
        }
        var numeric = Tensor.Zeros(shape);
        for (int i = 0; i < x.Length; i++)
        {
            Tensor plus = x.Clone(), minus = x.Clone();
            plus.Data[i] += h;
            minus.Data[i] -= h;
            numeric.Data[i] = (Loss(plus) - Loss(minus)) / (2 * h);
        }
        TensorAssert.Close(numeric, analytic, 2e-2f, 1e-2f, "gradient");
    }

    private static B Unary(string op, params AttributeProto[] attributes) =>
        new B().Input("x", 2, 5).Node(op, ["x"], ["y"], op, attributes);

    [Theory]
    [InlineData("Erf")]
    [InlineData("HardSwish")]
    [InlineData("Exp")]
    [InlineData("Neg")]
    [InlineData("Softplus")]
    public void Pointwise_Gradient_MatchesCentralDifference(string op) => Check(Unary(op), [2, 5]);

    [Fact]
    public void Sqrt_Gradient_MatchesCentralDifference() => Check(Unary("Sqrt"), [2, 5], lo: 0.5f, hi: 3f);

    [Fact]
    public void HardSigmoid_Gradient_MatchesCentralDifference() =>
        Check(Unary("HardSigmoid", B.Float("alpha", 0.3f), B.Float("beta", 0.4f)), [2, 5]);

    [Fact]
    public void Clip_Gradient_MatchesCentralDifference() =>
        Check(new B(opset: 11).Input("x", 2, 5).Initializer("lo", [-1f]).Initializer("hi", [0.7f])
            .Node("Clip", ["x", "lo", "hi"], ["y"]), [2, 5], seed: 11);

    [Fact]
    public void Pow_ScalarAndTensorExponent_GradientsMatch()
    {
        Check(new B().Input("x", 2, 3).Initializer("p", [3f]).Node("Pow", ["x", "p"], ["y"]), [2, 3]);
        Check(new B().Input("x", 2, 3).Initializer("p", [0.5f, 1.5f, 2.5f], 3).Node("Pow", ["x", "p"], ["y"]), [2, 3], lo: 0.5f, hi: 2f);
    }

    [Fact]
    public void WhereExpandGather_Gradients_Match()
    {
        Check(new B().Input("x", 2, 3).IntInitializer("c", [1, 0, 1], 3).Initializer("z", [5f])
            .Node("Where", ["c", "x", "z"], ["y"]), [2, 3]);
        Check(new B().Input("x", 3, 1).IntInitializer("s", [2, 3, 4], 3).Node("Expand", ["x", "s"], ["y"]), [3, 1]);
        Check(new B().Input("x", 4, 3).IntInitializer("i", [3, 0, 3, -1], 2, 2).Node("Gather", ["x", "i"], ["y"], null, B.Int("axis", 0)), [4, 3]);
    }

    [Fact]
    public void SlicePadTrilu_Gradients_Match()
    {
        Check(new B().Input("x", 3, 6).IntInitializer("st", [5], 1).IntInitializer("en", [-7], 1).IntInitializer("ax", [1], 1)
            .IntInitializer("sp", [-2], 1).Node("Slice", ["x", "st", "en", "ax", "sp"], ["y"]), [3, 6]);
        Check(new B().Input("x", 2, 4).IntInitializer("p", [1, 2, 0, 1], 4).Node("Pad", ["x", "p"], ["y"], null,
            new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("reflect") }), [2, 4]);
        Check(new B().Input("x", 2, 3, 4).Node("Trilu", ["x"], ["y"], null, B.Int("upper", 0)), [2, 3, 4]);
    }

    [Fact]
    public void ConvTranspose_StridedGroupedWithBias_GradientMatches()
    {
        var rng = new Random(3);
        float[] w = Tensor.RandomNormal(rng, 4, 1, 3, 2).ToArray(), b = [0.1f, -0.2f];
        Check(new B().Input("x", 1, 4, 3, 3).Initializer("w", w, 4, 1, 3, 2).Initializer("b", b, 2)
            .Node("ConvTranspose", ["x", "w", "b"], ["y"], null, B.Ints("strides", 2, 1), B.Int("group", 2), B.Ints("pads", 1, 0, 0, 1)), [1, 4, 3, 3]);
    }

    [Fact]
    public void AsymmetricPooling_Gradients_Match()
    {
        Check(new B().Input("x", 1, 2, 5, 5).Node("AveragePool", ["x"], ["y"], null, B.Ints("kernel_shape", 3, 3),
            B.Ints("strides", 2, 2), B.Ints("pads", 0, 0, 1, 2)), [1, 2, 5, 5]);
        Check(new B().Input("x", 1, 2, 5, 5).Node("MaxPool", ["x"], ["y"], null, B.Ints("kernel_shape", 2, 2),
            B.Ints("strides", 2, 2), B.Ints("pads", 1, 0, 0, 1)), [1, 2, 5, 5]);
        var rng = new Random(5);
        Check(new B().Input("x", 1, 2, 5, 5).Initializer("w", Tensor.RandomNormal(rng, 3, 2, 2, 2).ToArray(), 3, 2, 2, 2)
            .Node("Conv", ["x", "w"], ["y"], null, new AttributeProto { Name = "auto_pad", Type = AttributeProto.Types.AttributeType.String,
                S = Google.Protobuf.ByteString.CopyFromUtf8("SAME_UPPER") }), [1, 2, 5, 5]);
    }

    [Fact]
    public void GemmAndReduceMax_Gradients_Match()
    {
        var rng = new Random(9);
        Check(new B().Input("x", 4, 2).Initializer("w", Tensor.RandomNormal(rng, 4, 3).ToArray(), 4, 3).Initializer("c", [0.5f, 1f, -1f], 3)
            .Node("Gemm", ["x", "w", "c"], ["y"], null, B.Int("transA", 1), B.Float("alpha", 0.5f), B.Float("beta", 2f)), [4, 2]);
        Check(new B().Input("x", 2, 3, 4).IntInitializer("a", [0, 2], 2).Node("ReduceMax", ["x", "a"], ["y"], null, B.Int("keepdims", 0)), [2, 3, 4]);
    }
}
