// Activation ops against PyTorch fixtures (tools/fixtures/ops_unary.py), central differences, and shape handling.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;
using Unravel.Tensors.Tests.Support;
using T = Unravel.Tensors.Ops;

namespace Unravel.Tensors.Tests.Ops;

public sealed class UnaryOpTests
{
    public static TheoryData<string> Cases => OpCase.Names("unary");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unary_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("unary", name);
        OpCheck.ForwardAndBackward(c, x => c.Op switch
        {
            "relu" => T.Relu(x["x"]),
            "gelu" => T.Gelu(x["x"], c.String("approximate") == "tanh" ? GeluApproximation.Tanh : GeluApproximation.Erf),
            "sigmoid" => T.Sigmoid(x["x"]),
            "tanh" => T.Tanh(x["x"]),
            _ => throw new InvalidOperationException(c.Op),
        });
    }

    public static TheoryData<string> Ops => ["relu", "gelu_erf", "gelu_tanh", "sigmoid", "tanh"];

    private static Tensor Apply(string op, Tensor x) => op switch
    {
        "relu" => T.Relu(x),
        "gelu_erf" => T.Gelu(x),
        "gelu_tanh" => T.Gelu(x, GeluApproximation.Tanh),
        "sigmoid" => T.Sigmoid(x),
        "tanh" => T.Tanh(x),
        _ => throw new InvalidOperationException(op),
    };

    [Theory]
    [MemberData(nameof(Ops))]
    public void Unary_CentralDifference(string op)
    {
        // |x| ≥ 0.1 keeps ReLU's kink out of the ±h stencil.
        Tensor x = Tensor.RandomNormal(new Random(4), 3, 5);
        foreach (ref float v in x.Data) v += MathF.CopySign(0.1f, v);
        GradCheck.Check(t => Apply(op, t[0]), [x], op);
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Unary_LargeTensor_ChunkedRunEqualsOneKernelCall(string op)
    {
        // Large enough to be split across threads (odd length, so chunks end mid-vector); chunking must not change
        // any element.
        Tensor x = Tensor.RandomUniform(new Random(8), -6f, 6f, 3, 40_001);
        Tensor y = Apply(op, x);
        float[] direct = new float[x.Length];
        switch (op)
        {
            case "relu": Activations.Relu(x.Data, direct); break;
            case "gelu_erf": Activations.GeluErf(x.Data, direct); break;
            case "gelu_tanh": Activations.GeluTanh(x.Data, direct); break;
            case "sigmoid": Activations.Sigmoid(x.Data, direct); break;
            case "tanh": Activations.Tanh(x.Data, direct); break;
        }
        Assert.Equal(direct, y.ToArray());
        Assert.Equal(x.Shape.ToArray(), y.Shape.ToArray());
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Unary_EmptyAndScalar_KeepShape(string op)
    {
        Assert.Equal([2, 0, 3], Apply(op, Tensor.Zeros(2, 0, 3)).Shape.ToArray());
        Assert.Empty(Apply(op, Tensor.FromArray([], 0)).ToArray());
        Tensor s = Apply(op, Tensor.Zeros());
        Assert.Equal(0, s.Rank);
    }

    [Fact]
    public void Relu_GradientAtZero_IsZero()
    {
        // PyTorch: relu'(0) = 0 (threshold_backward passes dy only where x > 0).
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.FromArray([0f, -0f, 2f, -1f]));
        GradStore g = tape.Backward(T.Relu(x));
        Assert.Equal([0f, 0f, 1f, 0f], g[x]!.ToArray());
    }

    [Fact]
    public void Gelu_UndefinedApproximation_ThrowsNamingOpAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => T.Gelu(Tensor.Zeros(2, 3), (GeluApproximation)7));
        Assert.Contains("gelu", e.Message);
        Assert.Contains("[2, 3]", e.Message);
    }

    [Fact]
    public void Unary_UntrackedInput_RecordsNothing()
    {
        using var tape = new Tape();
        Tensor y = T.Tanh(T.Sigmoid(T.Gelu(T.Relu(Tensor.Zeros(3)))));
        Assert.False(y.IsTracked);
        Assert.Empty(tape.Nodes);
    }
}
