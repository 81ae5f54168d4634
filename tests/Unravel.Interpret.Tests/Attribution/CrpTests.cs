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
        TensorAssert.Close(expected, lrp.Heatmap, 1e-4f * (float)Scale(expected), 1e-3f, name);
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
        IReadOnlyList<LrpResult> many = Lrp.AttributeMany(model, x, new LrpOptions { ExcludeParallel = excludeParallel, RecordLayers = ["layer2.0"] },
            [.. Enumerable.Range(0, 32).Select(ch => (IReadOnlyList<ChannelCondition>)[new ChannelCondition("layer2.0", [ch])])]);
        for (int ch = 0; ch < 32; ch++)
        {
            LrpResult r = many[ch];
            System.Numerics.Tensors.TensorPrimitives.Add(sum.Data, r.Heatmap.Data, sum.Data);
            // The masked relevance at the layer is that channel's share of the unconditional one.
            Tensor cr = r.ChannelRelevance("layer2.0");
            Assert.Equal(channelRelevance[0, ch], cr[0, ch], 5);
            Assert.Equal(0f, cr[1, (ch + 1) % 32]);
        }
        TensorAssert.Close(full.Heatmap, sum, 1e-4f * (float)Scale(full.Heatmap), 1e-3f, "Σ_c R(x | layer2.0:c)");
    }

    [Fact]
    public void AttributeMany_OneForward_EqualsSeparateAttributions()
    {
        RootModule model = LrpFixtures.SmallResNet16();
        Tensor x = LrpFixtures.Input("small-resnet-16");
        var options = new LrpOptions { Composite = Composites.EpsilonAlpha2Beta1Flat(), ExcludeParallel = true };
        ChannelCondition[][] sets = [[new("layer3.0", [7])], [new("layer3.0", [1, 2]), new("layer2.0.hook_relu1", [4])], []];
        IReadOnlyList<LrpResult> many = Lrp.AttributeMany(model, x, options, sets);
        for (int i = 0; i < sets.Length; i++)
        {
            LrpResult single = Lrp.Attribute(model, x, options with { Conditions = sets[i] });
            TensorAssert.Close(single.InputRelevance, many[i].InputRelevance, 0f, 0f, $"set {i}");
            Assert.Equal(single.Conservation.Layers.Count, many[i].Conservation.Layers.Count);
        }
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

public sealed class SingleNeuronTests
{
    [Fact]
    public void Parse_ChannelsAndPosition_ReadsAllParts()
    {
        ChannelCondition c = ChannelCondition.Parse("layer3.0:5,6@12");
        Assert.Equal("layer3.0", c.Layer);
        Assert.Equal([5, 6], c.Channels);
        Assert.Equal(12, c.Position);
        Assert.Throws<FormatException>(() => ChannelCondition.Parse("layer3.0:5@x"));
    }

    [Fact]
    public void StartAtSingleUnit_GradientComposite_EqualsActivationTimesItsInputGradient()
    {
        // Seed = ReLU(a) kept at one unit (row 0's strongest unit) → input relevance = a⁺_{5,12} · ∂a_{5,12}/∂x.
        RootModule model = LrpFixtures.SmallResNet16();
        var classifier = (Unravel.Models.Vision.IImageClassifier)model;
        Tensor x = LrpFixtures.Input("small-resnet-16");
        Tensor act = Lrp.Attribute(model, x, new LrpOptions { RecordLayers = ["layer3.0"] }).LayerActivations["layer3.0"];
        int flat = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(act.Data.Slice(0, 64 * 49));  // row 0's strongest unit
        int ch = flat / 49, pos = flat % 49;
        LrpResult lrp = Lrp.Attribute(model, x, new LrpOptions
        {
            Composite = Composites.Gradient(), StartLayer = "layer3.0", Conditions = [new ChannelCondition("layer3.0", [ch], pos)],
        });

        using var tape = new Unravel.Tensors.Autograd.Tape();
        Tensor xw = tape.Watch(x.Clone());
        Tensor? a = null;
        using (model.Hooks.Add("layer3.0", (_, t) => { a = t; }))
            classifier.Forward(xw);
        Tensor seed = Tensor.Zeros(a!.Shape.ToArray());
        int hw = a.Dim(2) * a.Dim(3);
        for (int n = 0; n < a.Dim(0); n++) seed.Data[(n * 64 + ch) * hw + pos] = Math.Max(0f, a.Data[(n * 64 + ch) * hw + pos]);
        Tensor expected = tape.Backward(a, seed)[xw]!;
        TensorAssert.Close(expected, lrp.InputRelevance, 1e-7f, 1e-4f, "single-unit relevance");
        Assert.Contains(lrp.InputRelevance.ToArray(), v => v != 0f);
    }

    [Fact]
    public void Position_OutOfRange_Throws()
    {
        var ex = Assert.Throws<AnalysisException>(() => Lrp.Attribute(LrpFixtures.SmallResNet16(), LrpFixtures.Input("small-resnet-16"),
            new LrpOptions { Conditions = [new ChannelCondition("layer3.0", [5], 49)] }));
        Assert.Contains("49 positions", ex.Message);
    }
}
