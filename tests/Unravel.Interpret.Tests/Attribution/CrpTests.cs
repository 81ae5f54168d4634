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
