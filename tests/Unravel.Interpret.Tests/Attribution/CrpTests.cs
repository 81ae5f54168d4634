// Concept relevance propagation: conditional heatmaps against the plain-PyTorch references of tools/fixtures/lrp.py,
// and conservation: the conditional heatmaps of all channels of a layer that every path passes sum to the
// unconditional heatmap (with and without exclude-parallel).

using Unravel.Interpret.Attribution;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Testing;

namespace Unravel.Interpret.Tests.Attribution;

public sealed class CrpTests
{
    private static double Scale(Tensor t) => t.ToArray().Max(v => Math.Abs(v));

    [Theory]
    [InlineData("small_resnet16_crp_layer2.0_c3")]
    [InlineData("small_resnet16_crp_start_layer3.0_c5")]
    public void ChannelCondition_SmallResNet_MatchesPlainPyTorchReference(string name)
    {
        var c = LrpFixtures.Case(name);
        RootModule model = LrpFixtures.SmallResNet16();
        var options = new LrpOptions
        {
            Composite = Composites.EpsilonPlusFlat(),
            Conditions = [ChannelCondition.Parse(c.GetProperty("condition").GetString()!)],
            StartLayer = c.TryGetProperty("start", out var s) ? s.GetString() : null,
        };
        LrpResult lrp = Lrp.Attribute(model, LrpFixtures.Input("small-resnet-16"), options);
        Tensor expected = LrpFixtures.TensorOf(c.GetProperty("heatmap"));
        TensorAssert.Close(expected, lrp.Heatmap, 1e-4f * (float)Scale(expected), 2e-3f, name);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChannelConditions_AllChannelsOfBlockOutput_SumToUnconditionalHeatmap(bool excludeParallel)
    {
        RootModule model = LrpFixtures.SmallResNet16();
        Tensor x = LrpFixtures.Input("small-resnet-16");
        LrpResult full = Lrp.Attribute(model, x, new LrpOptions { RecordLayers = ["layer2.0"] });
        Tensor sum = Tensor.Zeros(full.Heatmap.Shape.ToArray());
        Tensor channelRelevance = full.ChannelRelevance("layer2.0");                          // [N, 32]
        for (int ch = 0; ch < 32; ch++)
        {
            LrpResult r = Lrp.Attribute(model, x, new LrpOptions
            {
                Conditions = [new ChannelCondition("layer2.0", [ch])], ExcludeParallel = excludeParallel, RecordLayers = ["layer2.0"],
            });
            System.Numerics.Tensors.TensorPrimitives.Add(sum.Data, r.Heatmap.Data, sum.Data);
            // The masked relevance at the layer is that channel's share of the unconditional one.
            Tensor cr = r.ChannelRelevance("layer2.0");
            Assert.Equal(channelRelevance[0, ch], cr[0, ch], 5);
            Assert.Equal(0f, cr[1, (ch + 1) % 32]);
        }
        TensorAssert.Close(full.Heatmap, sum, 1e-4f * (float)Scale(full.Heatmap), 1e-3f, "Σ_c R(x | layer2.0:c)");
    }

    [Fact]
    public void ExcludeParallel_ConditionInsideResidualBlock_DropsTheShortcutPath()
    {
        // hook_relu1 sits on the branch of layer2.0, parallel to its projection shortcut: plain masking keeps the shortcut's
        // relevance, exclude-parallel removes it, so the two heatmaps differ; with the mask at the block output they agree.
        RootModule model = LrpFixtures.SmallResNet16();
        Tensor x = LrpFixtures.Input("small-resnet-16");
        ChannelCondition inner = new("layer2.0.hook_relu1", Enumerable.Range(0, 32).ToArray());
        LrpResult plain = Lrp.Attribute(model, x, new LrpOptions { Conditions = [inner] });
        LrpResult excl = Lrp.Attribute(model, x, new LrpOptions { Conditions = [inner], ExcludeParallel = true });
        LrpResult full = Lrp.Attribute(model, x);
        TensorAssert.Close(full.Heatmap, plain.Heatmap, 1e-6f, 1e-5f, "all channels kept, plain");
        double diff = full.Heatmap.ToArray().Zip(excl.Heatmap.ToArray(), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(diff > 1e-3 * Scale(full.Heatmap), $"exclude-parallel kept the shortcut (max diff {diff})");
    }
}

public sealed class GradientCompositeTests
{
    [Fact]
    public void GradientComposite_SeedOne_EqualsTapeGradient()
    {
        RootModule model = LrpFixtures.SmallResNet16();
        Tensor x = LrpFixtures.Input("small-resnet-16");
        LrpResult lrp = Lrp.Attribute(model, x, new LrpOptions
        {
            Composite = Composites.Gradient(), Target = AttributionTarget.Predicted with { Seed = SeedMode.One },
        });
        (Tensor g, _) = Gradients.Gradient(((Unravel.Models.Vision.IImageClassifier)model).Forward, x);
        TensorAssert.Close(g, lrp.InputRelevance, 1e-6f, 1e-4f, "gradient composite");
    }

    [Fact]
    public void StartAndStopLayer_GradientComposite_EqualsVjpOfHalfSquaredChannel()
    {
        // PURE's circuit gradient (spec §1.3): seed ReLU(A^l_j) at layer3.0 channel j gives G^{l-1} = ∂/∂A^{l-1} ½ Σ_p (A^l_{j,p})²
        // at layer2.0. Reference: a taped forward of layer3.0 alone from the cached layer2.0 activation.
        var model = (Unravel.Models.Vision.SmallCnn)LrpFixtures.SmallResNet16();
        Tensor x = LrpFixtures.Input("small-resnet-16");
        LrpResult lrp = Lrp.Attribute(model, x, new LrpOptions
        {
            Composite = Composites.Gradient(), StartLayer = "layer3.0", Conditions = [new ChannelCondition("layer3.0", [5])],
            StopLayer = "layer2.0", RecordLayers = ["layer2.0"],
        });
        Assert.All(lrp.InputRelevance.ToArray(), v => Assert.Equal(0f, v));

        Tensor a = lrp.LayerActivations["layer2.0"].Clone();
        using var tape = new Unravel.Tensors.Autograd.Tape();
        Tensor aw = tape.Watch(a);
        Tensor y = model.Stages[2].Forward(aw);                                                  // [N, 64, 7, 7]
        Tensor seed = Tensor.Zeros(y.Shape.ToArray());
        int hw = y.Dim(2) * y.Dim(3);
        for (int n = 0; n < y.Dim(0); n++)
            y.Data.Slice((n * 64 + 5) * hw, hw).CopyTo(seed.Data.Slice((n * 64 + 5) * hw, hw));  // ∂½Σa²/∂a = a (a ≥ 0 after ReLU)
        Tensor expected = tape.Backward(y, seed)[aw]!;
        TensorAssert.Close(expected, lrp.LayerRelevance["layer2.0"], 1e-6f, 1e-4f, "circuit gradient at layer2.0");
    }
}
