// LRP on an imported graph: Conv, Gemm and MatMul nodes get the composite's rules, batch norms are folded into the
// convolution before them, residual Adds split by the Sum rule and activations pass relevance, as for native modules.
// Reference: the native ResNet-18 on the same weights (NativeTwin) under the same composite and canonizers; its LRP is
// itself checked against zennit elsewhere. Relevance must agree within 1e-5 relative, layer by layer as well as at the
// input, and every non-affine layer must conserve relevance.

using Unravel.Interpret.Attribution;
using Unravel.IO;
using Unravel.Tensors;
using Xunit.Abstractions;

namespace Unravel.Onnx.Tests;

public sealed class OnnxLrpTests(ITestOutputHelper output)
{
    private static readonly HashSet<string> s_compared = ["conv2d", "linear", "add", "batch_norm2d", "adaptive_avg_pool2d", "relu", "max_pool2d"];

    [Theory]
    [InlineData("epsilon-plus-flat")]
    [InlineData("epsilon-alpha2-beta1")]
    [InlineData("epsilon")]
    public void Lrp_ResNet18Export_EqualsNativeModel(string composite)
    {
        (var onnx, var native) = NativeTwin.ResNet18();
        Tensor x = Npy.Read(Path.Combine(NativeTwin.Folder("resnet18"), "input.npy"));
        var options = new LrpOptions { Composite = Composites.Create(composite), Canonizers = Canonizers.ResNet };
        LrpResult expected = Lrp.Attribute(native, x, options), actual = Lrp.Attribute(onnx, x, options);

        Assert.Equal(expected.Classes, actual.Classes);
        float scale = expected.InputRelevance.Data.ToArray().Max(MathF.Abs);
        double max = TensorAssert.Close(expected.InputRelevance, actual.InputRelevance, 1e-5f * scale, 1e-5f, $"{composite} input relevance");
        output.WriteLine($"{composite}: input relevance max |diff| {max:G3} (scale {scale:G3}); seeded {actual.Conservation.Seeded:G6}, at input {actual.Conservation.AtInput:G6} (native {expected.Conservation.AtInput:G6})");

        // Layer by layer: the same ops got the same rules and passed the same relevance.
        LayerConservation[] e = [.. expected.Conservation.Layers.Where(l => s_compared.Contains(l.Op))];
        LayerConservation[] a = [.. actual.Conservation.Layers.Where(l => s_compared.Contains(l.Op))];
        Assert.Equal(e.Select(l => $"{l.Op}:{l.Rule}"), a.Select(l => $"{l.Op}:{l.Rule}"));
        Assert.Equal(20, a.Count(l => l.Op == "conv2d"));
        Assert.Equal(20, a.Count(l => l is { Op: "batch_norm2d", Rule: "pass" }));   // folded into the convolutions
        double seeded = Math.Abs(expected.Conservation.Seeded);
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i].RelevanceOut - a[i].RelevanceOut) <= 1e-5 * seeded + 1e-5 * Math.Abs(e[i].RelevanceOut),
                $"{a[i].Name} ({a[i].Op}, {a[i].Rule}): passed {a[i].RelevanceOut}, native {e[i].Name} {e[i].RelevanceOut}");
            if (a[i].Op is not ("conv2d" or "linear"))
                Assert.True(a[i].RelativeLeak < 1e-3, $"{a[i].Name} ({a[i].Op}, {a[i].Rule}) leaks: in {a[i].RelevanceIn}, out {a[i].RelevanceOut}");
        }
        Assert.Equal(expected.Conservation.AtInput, actual.Conservation.AtInput, 1e-5 * seeded);
    }
}
