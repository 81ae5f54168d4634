// Conv → BatchNormalization → (Add) → Relu fusion on imported graphs: the fused forward equals the node-by-node forward
// on every committed export (within 1e-5 relative), a hook on a fused convolution's output still sees the convolution's
// own (pre-batch-norm) output, recomputed here from its captured input and weight, and the input gradient through the
// fused ops (a tape with FuseInference) equals the node-by-node gradient.

using Unravel.IO;
using Unravel.Models.Onnx;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using Xunit.Abstractions;

namespace Unravel.Onnx.Tests;

public sealed class ConvChainFusionTests(ITestOutputHelper output)
{
    private static string Folder(string model) => NativeTwin.Folder(model);

    public static TheoryData<string, int> ImageModels => new()
    {
        // model, Conv chains expected: ResNet-18 has 20 convolutions, each followed by a batch norm; VGG-11-BN 8.
        { "resnet18", 20 }, { "vgg11_bn", 8 }, { "mobilenet_v3_small", -1 }, { "efficientnet_b0", -1 }, { "convnext_tiny", -1 },
        { "densenet121", -1 }, { "vit_b_16", -1 },
    };

    private double AssertRelative(Tensor expected, Tensor actual, string label, float rel = 1e-5f)
    {
        (double max, float scale) = TensorAssert.CloseToScale(expected, actual, rel, label);
        output.WriteLine($"{label}: max |diff| {max:G3} (scale {scale:G3})");
        return max;
    }

    [Theory]
    [MemberData(nameof(ImageModels))]
    public void Forward_Fused_EqualsNodeByNode(string model, int chains)
    {
        OnnxModel m = OnnxModel.Load(Path.Combine(Folder(model), "model.onnx"));
        if (chains >= 0) Assert.Equal(chains, m.ConvChains);
        output.WriteLine($"{model}: {m.ConvChains} conv chains");
        Tensor x = Npy.Read(Path.Combine(Folder(model), "input.npy"));
        Tensor fused;
        using (m.FreezeWeights()) fused = m.Forward(x);
        m.FuseConvolutions = false;
        Tensor plain = m.Forward(x);
        AssertRelative(plain, fused, $"{model} logits");
    }

    [Fact]
    public void Hook_OnFusedConvolution_SeesItsPreBatchNormOutput()
    {
        OnnxModel m = OnnxModel.Load(Path.Combine(Folder("resnet18"), "model.onnx"));
        Tensor x = Npy.Read(Path.Combine(Folder("resnet18"), "input.npy"));
        Tensor fused = m.Forward(x);

        // layer1.0.conv1 reads the max pool's output: 3×3, stride 1, padding 1, no bias (torchvision).
        const string ConvOut = "/layer1/layer1.0/conv1/Conv_output_0";
        Tensor? input = null, conv = null, moduleConv = null;
        using (m.Hooks.Add("/maxpool/MaxPool_output_0", (_, t) => input = t))
        using (m.Hooks.Add(ConvOut, (_, t) => conv = t))
        using (m.Hooks.Add("layer1.0.conv1", (_, t) => moduleConv = t))
        {
            Tensor hooked = m.Forward(x);
            AssertRelative(fused, hooked, "logits with a hook inside a chain");
        }
        Assert.NotNull(input);
        Assert.NotNull(conv);
        Tensor weight = m.StateDict()["layer1.0.conv1.weight"];
        Tensor expected = Ops.Conv2d(input, weight, null, new Conv2dOptions { Padding = (1, 1) });
        AssertRelative(expected, conv, "hooked conv output (pre-BN)");
        AssertRelative(expected, moduleConv!, "module path layer1.0.conv1");
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("vgg11_bn")]
    public void InputGradient_FusedTape_EqualsNodeByNode(string model)
    {
        OnnxModel m = OnnxModel.Load(Path.Combine(Folder(model), "model.onnx"));
        Tensor x = Npy.Read(Path.Combine(Folder(model), "input.npy"));
        Tensor Gradient(bool fuse)
        {
            m.FuseConvolutions = fuse;
            using var tape = new Tape { FuseInference = true };
            Tensor watched = tape.Watch(x.Clone());
            Tensor logits = m.Forward(watched);
            Tensor seed = Tensor.Zeros(logits.Shape.ToArray());
            for (int n = 0; n < logits.Dim(0); n++) seed[n, n + 1] = 1f;
            return tape.Backward(logits, seed)[watched]!.Detach();
        }
        Tensor fusedGrad = Gradient(true), plainGrad = Gradient(false);
        AssertRelative(plainGrad, fusedGrad, $"{model} input gradient", 1e-4f);
    }
}
