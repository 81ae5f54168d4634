// Whole-model LRP: LRP-0 equals gradient × input on ReLU networks with zero biases; Epsilon/ZPlus conserve relevance per
// layer with zero biases; batch-norm folding leaves every convolution's output unchanged and attribution leaves the
// model unchanged; composites with the ResNet canonizer match the plain-PyTorch references of tools/fixtures/lrp.py.

using Unravel.Interpret.Attribution;
using Unravel.Interpret.Attribution.Rules;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using Unravel.Testing;

namespace Unravel.Interpret.Tests.Attribution;

public sealed class LrpModelTests
{
    private static readonly Composite s_lrp0 = Composite.Uniform(new EpsilonRule(1e-12f), "lrp0")
        with { Sum = new NormRule(1e-12f), Pooling = new NormRule(1e-12f) };

    private static SmallCnn ResidualNoBn() =>
        LrpFixtures.ZeroBiases(new SmallCnn(WeightSource.Initialize(3), SmallCnnConfig.SmallResNet16 with { BatchNorm = false }));

    private static Vgg VggNoBn() =>
        LrpFixtures.ZeroBiases(new Vgg(WeightSource.Initialize(4), VggConfig.Vgg11 with { WidthDivisor = 32, Classes = 10 }));

    private static double Scale(Tensor t) => t.ToArray().Max(v => Math.Abs(v));

    // LRP-0 relevance at the input must equal x ⊙ ∂f_c/∂x (the seed is the logit, so R = f_c · (∂f_c/∂x ⊙ x) / f_c).
    private static LrpResult AssertLrp0IsGradientTimesInput<T>(T model, Tensor x) where T : RootModule, IImageClassifier
    {
        model.Eval();
        LrpResult lrp = Lrp.Attribute(model, x, new LrpOptions { Composite = s_lrp0, Canonizers = Canonizers.ResNet });
        (Tensor gxi, int[] classes) = Gradients.GradientTimesInput(model.Forward, x);
        Assert.Equal(classes, lrp.Classes);
        TensorAssert.Close(gxi, lrp.InputRelevance, 1e-4f * (float)Scale(gxi), 1e-3f, "LRP-0 vs g×x");
        return lrp;
    }

    [Fact]
    public void Lrp0_ResidualCnnWithZeroBiases_EqualsGradientTimesInput() =>
        AssertLrp0IsGradientTimesInput(ResidualNoBn(), Tensor.RandomNormal(new Random(1), 2, 1, 28, 28));

    [Fact]
    public void Lrp0_VggWithMaxPoolsAndZeroBiases_EqualsGradientTimesInput() =>
        AssertLrp0IsGradientTimesInput(VggNoBn(), Tensor.RandomNormal(new Random(2), 2, 3, 32, 32));

    [Fact]
    public void Lrp0_BottleneckResNetWithFoldedBatchNorms_EqualsGradientTimesInput()
    {
        // BN with β = 0 and running mean 0 folds into a bias-free convolution (b' = (0 − 0)·s + 0), so after the canonizers
        // the network is a bias-free ReLU net with residual sums and max pool: LRP-0 must equal gradient × input.
        var model = new ResNet(WeightSource.Initialize(8), ResNetConfig.ResNet50 with { Width = 8, Classes = 10 });
        LrpFixtures.RandomizeBatchNorms(model, 9);
        foreach (Module m in model.Modules())
            if (m is BatchNorm2d bn) { bn.B.Value.Data.Clear(); bn.RunningMean.Value.Data.Clear(); }
        model.Fc.B!.Value.Data.Clear();
        LrpResult lrp = AssertLrp0IsGradientTimesInput(model, Tensor.RandomNormal(new Random(10), 2, 3, 32, 32));
        Assert.Equal(16, lrp.Conservation.Layers.Count(l => l is { Op: "add", Rule: "norm" }));       // 3 + 4 + 6 + 3 bottlenecks
        Assert.Equal(53, lrp.Conservation.Layers.Count(l => l is { Op: "batch_norm2d", Rule: "pass" })); // BN passes relevance (its scale sits in the folded conv)
    }

    [Theory]
    [InlineData("epsilon-plus")]
    [InlineData("epsilon")]
    public void EpsilonAndZPlus_ZeroBiases_ConserveRelevancePerLayer(string composite)
    {
        SmallCnn model = ResidualNoBn();
        Tensor x = Tensor.RandomNormal(new Random(3), 2, 1, 28, 28);
        LrpResult lrp = Lrp.Attribute(model, x, new LrpOptions { Composite = Composites.Create(composite) });
        ConservationReport report = lrp.Conservation;
        Assert.Contains(report.Layers, l => l.Op == "conv2d");
        Assert.Contains(report.Layers, l => l is { Op: "add", Rule: "norm" });
        foreach (LayerConservation l in report.Layers)
            Assert.True(l.RelativeLeak < 1e-3, $"{l.Name} ({l.Op}, {l.Rule}): in {l.RelevanceIn}, out {l.RelevanceOut}");
        Assert.InRange(Math.Abs(report.AtInput - report.Seeded) / Math.Abs(report.Seeded), 0, 1e-3);
        Assert.Equal(report.AtInput, lrp.TotalRelevance(0) + lrp.TotalRelevance(1), 3);
    }

    [Fact]
    public void BatchNormFold_ResNet18RandomWeights_LeavesEveryConvOutputAndTheModelUnchanged()
    {
        var model = new ResNet(WeightSource.Initialize(5), ResNetConfig.ResNet18 with { Classes = 10 });
        LrpFixtures.RandomizeBatchNorms(model, 6);
        model.Eval();
        Tensor x = Tensor.RandomNormal(new Random(7), 2, 3, 64, 64);
        Tensor before = model.Forward(x.Clone()).Clone();                        // fused inference path

        int folded = 0;
        using (var tape = new Tape())
        {
            Tensor y = model.Forward(tape.Watch(x.Clone()));
            TensorAssert.Close(before, y, 1e-4f, 1e-4f, "taped forward");
            var graph = new LrpGraph(tape.Nodes);
            foreach (Node bnNode in tape.Nodes.Where(n => n.Op == "batch_norm2d"))
            {
                Node convNode = graph.ProducerOf(bnNode.Inputs[0])!;
                AffineLayer layer = BatchNormFoldCanonizer.Fold((Conv2d)convNode.Owner!, (BatchNorm2d)bnNode.Owner!);
                Tensor z = layer.Forward(convNode.Inputs[0], layer.Weight, layer.Bias);
                TensorAssert.Close(bnNode.Output, z, 1e-4f, 1e-4f, $"fold {layer.Name}");
                folded++;
            }
        }
        Assert.Equal(20, folded); // stem + 8 blocks × 2 + 3 projection shortcuts

        LrpResult lrp = Lrp.Attribute(model, x, new LrpOptions { Composite = Composites.EpsilonPlusFlat() });
        TensorAssert.Close(before, lrp.Output, 1e-4f, 1e-4f, "output during attribution");
        Assert.DoesNotContain(lrp.Conservation.Layers, l => l.Op == "batch_norm2d" && l.Rule != "pass");
        TensorAssert.Close(before, model.Forward(x.Clone()), 0f, 0f, "output after attribution");
    }

    [Theory]
    [InlineData("small_resnet16_epsilon_plus_flat")]
    [InlineData("small_resnet16_epsilon_alpha2_beta1")]
    [InlineData("vgg11_bn_d32_epsilon_plus_flat")]
    [InlineData("vgg11_bn_d32_epsilon_alpha2_beta1_flat")]
    [InlineData("vgg11_bn_d32_epsilon_gamma_box")]
    public void Composite_WithCanonizers_MatchesPlainPyTorchReference(string name)
    {
        var c = LrpFixtures.Case(name);
        string arch = c.GetProperty("model").GetString()!;
        RootModule model = arch == "small-resnet-16" ? LrpFixtures.SmallResNet16() : LrpFixtures.Vgg11BnD32();
        var settings = new CompositeSettings();
        if (c.TryGetProperty("low", out var low))
            settings = settings with { Low = [low.GetSingle()], High = [c.GetProperty("high").GetSingle()] };
        LrpResult lrp = Lrp.Attribute(model, LrpFixtures.Input(arch),
            new LrpOptions { Composite = Composites.Create(c.GetProperty("composite").GetString()!, settings), Canonizers = Canonizers.ResNet });
        TensorAssert.Close(LrpFixtures.TensorOf(c.GetProperty("logits")), lrp.Output, 1e-4f, 1e-4f, "logits");
        Assert.Equal(c.GetProperty("target").EnumerateArray().Select(v => v.GetInt32()), lrp.Classes);
        Tensor expected = LrpFixtures.TensorOf(c.GetProperty("heatmap"));
        TensorAssert.Close(expected, lrp.Heatmap, 1e-4f * (float)Scale(expected), 1e-3f, name);
    }

    [Fact]
    public void Attribute_UnknownLayer_ThrowsWithValidNames()
    {
        var ex = Assert.Throws<HookNotFoundException>(() => Lrp.Attribute(ResidualNoBn(), Tensor.Zeros(1, 1, 28, 28),
            new LrpOptions { Conditions = [new ChannelCondition("layer9.0", [1])] }));
        Assert.Contains("layer9.0", ex.Message);
        Assert.Contains("layer2.0", ex.Hint);
    }

    [Fact]
    public void Attribute_ChannelOutOfRange_Throws()
    {
        var ex = Assert.Throws<AnalysisException>(() => Lrp.Attribute(ResidualNoBn(), Tensor.Zeros(1, 1, 28, 28),
            new LrpOptions { Conditions = [new ChannelCondition("layer2.0", [32])] }));
        Assert.Contains("32 channels", ex.Message);
    }
}
