// Equivalence of the channel-split surgery (Hesse et al. 2025, arXiv 2504.12939) for every placement: merge before
// BatchNorm (BasicBlock conv2, Bottleneck conv3), before ReLU (VGG, plain small CNN), stride 2, groups, with and without
// bias. Closed form: d1 + d2 − r = a_c per position, every other channel unchanged, logits unchanged up to rounding.

using Unravel.Interpret.ChannelSplit;
using Unravel.Interpret.Tests.Support;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;
using Unravel.Testing;

namespace Unravel.Interpret.Tests.ChannelSplit;

public sealed class SurgeryTests
{
    public static TheoryData<string, string> Placements => new()
    {
        { "small-resnet", "layer2.0.conv2" },        // BasicBlock conv2 → bn2 (no bias)
        { "small-resnet", "layer2.0.conv1" },        // stride 2 → bn1
        { "small-resnet-nobn", "layer1.0.conv2" },   // bias, then the residual add
        { "small-cnn-nobn", "layer2.0.conv1" },      // stride 2, bias, then ReLU
        { "small-cnn", "layer1.0.conv1" },           // → bn1 → ReLU
        { "resnext", "layer4.0.conv3" },             // Bottleneck conv3 → bn3
        { "resnext", "layer1.0.conv2" },             // grouped 3×3 (2 groups) → bn2
        { "resnext", "layer2.0.conv2" },             // grouped, stride 2
        { "vgg", "features.8" },                     // bias, then ReLU
    };

    [Theory]
    [MemberData(nameof(Placements))]
    public void Split_AnyPlacement_PreservesLogitsAndSplitsTheChannelExactly(string kind, string layer)
    {
        (RootModule model, Func<WeightSource, RootModule> create, Tensor images) = Make(kind, seed: 3);
        var conv = (Conv2d)model.Modules().Single(m => m.Path == layer);
        var rng = new Random(11);
        int channel = rng.Next(conv.OutChannels);
        byte[] mask = Enumerable.Range(0, conv.InChannels).Select(_ => (byte)rng.Next(3)).ToArray();
        Dictionary<string, float[]> before = model.StateDict().ToDictionary(p => p.Key, p => p.Value.Data.ToArray());

        RootModule edited = ChannelSurgery.Split(model, create, layer, channel, mask);

        var split = Assert.IsType<SplitConv2d>(edited.Modules().Single(m => m.Path == layer));
        Assert.Equal(channel, split.Channel);
        Assert.Equal(conv.W.Value.Data.ToArray(), split.W.Value.Data.ToArray()); // merged weights are exact
        Assert.Contains(layer + ".hook_split", edited.AllHookNames);

        ActivationCache orig = model.RunWithCache(() => Forward(model, images), layer);
        ActivationCache cut = edited.RunWithCache(() => Forward(edited, images), layer + ".hook_split", layer);
        Tensor a = orig[layer], e = cut[layer + ".hook_split"];
        int n = a.Dim(0), o = a.Dim(1), hw = a.Dim(2) * a.Dim(3);
        Assert.Equal([n, o + 2, a.Dim(2), a.Dim(3)], e.Shape.ToArray());
        var merged = new float[a.Length];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < o; c++)
                for (int p = 0; p < hw; p++)
                {
                    float v = e.Data[(i * (o + 2) + c) * hw + p];
                    if (c == channel) v = v + e.Data[(i * (o + 2) + o) * hw + p] - e.Data[(i * (o + 2) + o + 1) * hw + p];
                    merged[(i * o + c) * hw + p] = v;
                }
        TensorAssert.Close(a.Data, merged, 1e-5f, 1e-5f, $"{kind} {layer}: d1 + d2 − r vs the original conv output");
        TensorAssert.Close(a, cut[layer], 1e-5f, 1e-5f, $"{kind} {layer}: merged output vs original");

        Tensor l0 = Forward(model, images), l1 = Forward(edited, images);
        float scale = Math.Max(1f, l0.Data.ToArray().Max(Math.Abs));
        TensorAssert.Close(l0, l1, 1e-5f * scale, 0, $"{kind} {layer}: logits");

        // The original model is untouched, and the edited one loads back from its own state dict.
        Assert.IsNotType<SplitConv2d>(model.Modules().Single(m => m.Path == layer));
        foreach ((string key, Tensor value) in model.StateDict()) Assert.Equal(before[key], value.Data.ToArray());
        WeightSource ws = WeightSource.FromTensors(edited.StateDict(), "edited");
        RootModule reloaded = create(ws);
        ws.Complete();
        TensorAssert.Close(l1, Forward(reloaded, images), 0, 0, $"{kind} {layer}: reloaded split model");
    }

    [Fact]
    public void SplitStateDict_ConceptRows_KeepTheirMaskedInputs()
    {
        (RootModule model, _, _) = Make("small-cnn-nobn", seed: 5);
        const string layer = "layer2.0.conv1";
        var conv = (Conv2d)model.Modules().Single(m => m.Path == layer);
        byte[] mask = Enumerable.Range(0, conv.InChannels).Select(i => (byte)(i % 3)).ToArray();
        Dictionary<string, Tensor> state = ChannelSurgery.SplitStateDict(model, layer, 2, mask);
        Tensor e = state[layer + ".0.weight"], m = state[layer + ".1.weight"], b = state[layer + ".0.bias"];
        int o = conv.OutChannels, c = conv.InChannels, kk = 9;
        Assert.Equal([o + 2, c, 3, 3], e.Shape.ToArray());
        Assert.Equal([o, o + 2, 1, 1], m.Shape.ToArray());
        Assert.False(state.ContainsKey(layer + ".weight"));
        for (int i = 0; i < c; i++)
            for (int k = 0; k < kk; k++)
            {
                float w = conv.W.Value.Data[(2 * c + i) * kk + k];
                Assert.Equal(mask[i] == SplitMask.Concept2 ? 0f : w, e.Data[(2 * c + i) * kk + k]);
                Assert.Equal(mask[i] == SplitMask.Concept1 ? 0f : w, e.Data[(o * c + i) * kk + k]);
                Assert.Equal(mask[i] == SplitMask.Shared ? w : 0f, e.Data[((o + 1) * c + i) * kk + k]);
            }
        float bc = conv.B!.Value.Data[2];
        Assert.Equal([bc, bc, bc], new[] { b.Data[2], b.Data[o], b.Data[o + 1] });
        Assert.Equal(1f, m.Data[2 * (o + 2) + o]);
        Assert.Equal(-1f, m.Data[2 * (o + 2) + o + 1]);
        Assert.Equal(o + 2, m.Data.ToArray().Count(v => v != 0)); // identity + the two merge entries
    }

    [Fact]
    public void Split_BadArguments_NameTheProblem()
    {
        (RootModule model, Func<WeightSource, RootModule> create, _) = Make("small-cnn", seed: 1);
        byte[] mask = new byte[4];
        Assert.Contains("not a convolution", Assert.ThrowsAny<UnravelException>(() => ChannelSurgery.Split(model, create, "layer1.0.bn1", 0, mask)).Message);
        Assert.Contains("out of range", Assert.ThrowsAny<UnravelException>(() => ChannelSurgery.Split(model, create, "layer1.0.conv1", 99, mask)).Message);
        Assert.Contains("mask", Assert.ThrowsAny<UnravelException>(() => ChannelSurgery.Split(model, create, "layer1.0.conv1", 0, new byte[3])).Message);
    }

    [Fact]
    public void Partition_FollowsStrictRhoRule()
    {
        float[] a1 = [1f, 0.5f, 0.2f, 0f, -1f];
        float[] a2 = [0.1f, 0.5f, 0.6f, 0f, -2f];
        Assert.Equal(new byte[] { 1, 0, 2, 0, 1 }, SplitMask.Partition(a1, a2, 1.0));
        // ρ = 0.5: 0.5·1 > 0.1 → 1; 0.25 < 0.5 and 0.25 < 0.5 → shared; 0.5·0.6 = 0.3 > 0.2 → 2; −0.5 > −2 → 1.
        Assert.Equal(new byte[] { 1, 0, 2, 0, 1 }, SplitMask.Partition(a1, a2, 0.5));
        Assert.Equal(new byte[] { 1, 0, 0, 0, 1 }, SplitMask.Partition(a1, a2, 0.3)); // 0.18 < 0.2: shared
        Assert.Equal(20, SplitMask.RhoGrid.Count);
        Assert.Equal(0.05, SplitMask.RhoGrid[0], 12);
        Assert.Equal(1.0, SplitMask.RhoGrid[^1], 12);
    }

    internal static (RootModule, Func<WeightSource, RootModule>, Tensor) Make(string kind, int seed)
    {
        Func<WeightSource, RootModule> create;
        int side = 12, channels = 1;
        switch (kind)
        {
            case "small-resnet": create = ws => new SmallCnn(ws, new SmallCnnConfig([4, 6]) { Classes = 5 }); break;
            case "small-resnet-nobn": create = ws => new SmallCnn(ws, new SmallCnnConfig([4, 6]) { Classes = 5, BatchNorm = false }); break;
            case "small-cnn": create = ws => new SmallCnn(ws, new SmallCnnConfig([4, 6]) { Classes = 5, Residual = false }); break;
            case "small-cnn-nobn":
                create = ws => new SmallCnn(ws, new SmallCnnConfig([4, 6]) { Classes = 5, Residual = false, BatchNorm = false });
                break;
            case "resnext":
                create = ws => new ResNet(ws, new ResNetConfig(ResNetBlockKind.Bottleneck, [1, 1, 1, 1])
                    { Width = 8, Classes = 5, Groups = 2, WidthPerGroup = 32 });
                (side, channels) = (32, 3);
                break;
            case "vgg":
                create = ws => new Vgg(ws, VggConfig.Vgg11 with { WidthDivisor = 16, Classes = 5 });
                (side, channels) = (32, 3);
                break;
            default: throw new ArgumentException(kind);
        }
        RootModule model = create(WeightSource.Initialize(seed));
        BatchNorms.Randomise(model, seed);
        model.Eval();
        var images = Tensor.Zeros(3, channels, side, side);
        var rng = new Random(seed + 100);
        for (int i = 0; i < images.Length; i++) images.Data[i] = rng.NextSingle() * 2 - 0.5f;
        return (model, create, images);
    }

    internal static Tensor Forward(RootModule model, Tensor images) => ((IImageClassifier)model).Forward(images);
}
