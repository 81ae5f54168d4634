// Planted ground truth for channel splitting (Hesse et al. 2025, arXiv 2504.12939): a small CNN whose channel 0 of
// "layer1.0.conv1" is driven by input channels {0, 1} on class-0 images and by {2, 3} on class-1 images. The search must
// report exactly that pair, the split must separate it (class 0: D1/A ≥ 0.9, D2/A ≤ 0.1; class 1 the reverse), and the
// logits must not change.

using Unravel.Interpret.ChannelSplit;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Tests.ChannelSplit;

public sealed class PlantedSplitTests
{
    private const string Layer = "layer1.0.conv1";
    private const int Side = 8;
    private static readonly SmallCnnConfig s_config = new([4]) { InChannels = 4, Classes = 3, Residual = false, BatchNorm = false };

    [Fact]
    public void FindSplitEvaluate_PlantedPolysemanticChannel_IsFoundAndSeparated()
    {
        RootModule model = Planted();
        List<LabelledBatch> train = Data(perClass: 40, seed: 1), heldOut = Data(perClass: 20, seed: 2);

        ChannelSplitFindResult found = ChannelSplitFinder.Find(model, Layer, train);

        Assert.Equal([40, 40, 40], found.ImagesPerClass);
        SplitCandidate candidate = Assert.Single(found.Candidates);
        Assert.Equal(0, candidate.Channel);
        Assert.Equal([0, 1], candidate.RelevantClasses);
        ArvCosine pair = Assert.Single(found.Pairs);
        Assert.Equal((0, 0, 1), (pair.Channel, pair.Class1, pair.Class2));
        Assert.Equal(0, pair.Cosine, 6); // disjoint input groups: orthogonal ARVs
        Assert.Equal(0.5, found.Options.Gamma);
        Assert.Equal(0.03, found.Options.Tau);
        (_, float[] arv1, float[] arv2) = found.RequirePair(0, 0, 1);
        Assert.Equal(found.Arvs.Single(a => a.Class == 1).Values, found.RequirePair(0, 1, 0).Arv1);
        Assert.Contains("relevant to fewer than two classes", Assert.ThrowsAny<UnravelException>(() => found.RequirePair(1, 0, 1)).Message);
        Assert.Contains("out of range", Assert.ThrowsAny<UnravelException>(() => found.RequirePair(9, 0, 1)).Message);
        Assert.Contains("two different classes", Assert.ThrowsAny<UnravelException>(() => found.RequirePair(0, 0, 7)).Message);
        Assert.Contains("outside [0, 0)", Assert.ThrowsAny<UnravelException>(
            () => (found with { Options = found.Options with { Gamma = 0 }, Cosines = [pair with { Polysemantic = false }] }).RequirePair(0, 0, 1)).Message);
        Assert.True(arv1[0] > 0 && arv1[1] > 0 && arv1[2] == 0 && arv1[3] == 0, string.Join(", ", arv1));
        Assert.True(arv2[0] == 0 && arv2[1] == 0 && arv2[2] > 0 && arv2[3] > 0, string.Join(", ", arv2));

        RhoSelection rho = RhoSelector.Choose(model, Layer, 0, 0, 1, arv1, arv2, train);
        Assert.ThrowsAny<UnravelException>(() => RhoSelector.Choose(model, Layer, 0, 0, 5, arv1, arv2, train));
        Assert.ThrowsAny<UnravelException>(() => RhoSelector.Choose(model, "layer1.0", 0, 0, 1, arv1, arv2, train));
        Assert.Equal((40, 40), (rho.Images1, rho.Images2));
        byte[] mask = SplitMask.Partition(arv1, arv2, rho.Rho);
        Assert.Equal(new byte[] { 1, 1, 2, 2 }, mask);

        RootModule edited = ChannelSurgery.Split(model, ws => new SmallCnn(ws, s_config), Layer, 0, mask);
        ChannelSplitEvaluation eval = ChannelSplitEvaluator.Evaluate(model, edited, Layer, 0, 0, 1, heldOut);

        Assert.Equal(60, eval.EvaluatedImages);
        Assert.True(eval.MaxAbsLogitDiff <= 1e-5 * Math.Max(1, eval.MaxAbsLogit), $"logit diff {eval.MaxAbsLogitDiff}");
        Assert.True(eval.MaxIdentityError < 1e-5, $"identity error {eval.MaxIdentityError}");
        SplitClassSummary c0 = eval.Classes[0], c1 = eval.Classes[1];
        Assert.Equal((20, 20), (c0.Images, c0.Kept));
        Assert.Equal((20, 20), (c1.Images, c1.Kept));
        foreach (SplitEvaluationImage im in eval.Images)
        {
            (double own, double other) = im.Label == 0 ? (im.D1OverA, im.D2OverA) : (im.D2OverA, im.D1OverA);
            Assert.True(own >= 0.9 && other <= 0.1, $"image {im.Index} (class {im.Label}): own {own}, other {other}");
        }
        Assert.True(c0.D1OverA >= 0.9 && c0.D2OverA <= 0.1 && c1.D2OverA >= 0.9 && c1.D1OverA <= 0.1);
    }

    /// <summary>Stem = identity (inputs are ≥ 0, so its ReLU passes them); layer1.0.conv1 channel 0 reads all four inputs
    /// with positive weights, channel 1 too; fc: classes 0 and 1 read channel 0, class 2 reads channel 1.</summary>
    private static RootModule Planted()
    {
        var rng = new Random(7);
        var stem = Tensor.Zeros(4, 4, 3, 3);
        for (int i = 0; i < 4; i++) stem.Data[(i * 4 + i) * 9 + 4] = 1f;
        var w = Tensor.Zeros(4, 4, 3, 3);
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 36; k++) w.Data[c * 36 + k] = 0.1f + 0.05f * rng.NextSingle();
        var fc = Tensor.Zeros(3, 4);
        fc.Data[0 * 4 + 0] = 1f;
        fc.Data[1 * 4 + 0] = 1f;
        fc.Data[2 * 4 + 1] = 1f;
        var tensors = new Dictionary<string, Tensor>
        {
            ["conv1.weight"] = stem, ["conv1.bias"] = Tensor.Zeros(4),
            ["layer1.0.conv1.weight"] = w, ["layer1.0.conv1.bias"] = Tensor.FromArray([0.01f, 0f, 0f, 0f]),
            ["fc.weight"] = fc, ["fc.bias"] = Tensor.FromArray([0f, -0.01f, 0f]),
        };
        WeightSource ws = WeightSource.FromTensors(tensors, "planted");
        var model = new SmallCnn(ws, s_config);
        ws.Complete();
        model.Eval();
        return model;
    }

    /// <summary>Class 0: uniform [0, 1) on input channels 0, 1; class 1: on 2, 3; class 2: half as bright on all four.</summary>
    private static List<LabelledBatch> Data(int perClass, int seed)
    {
        var rng = new Random(seed);
        var batches = new List<LabelledBatch>();
        const int batch = 16;
        int total = 3 * perClass, hw = Side * Side;
        for (int start = 0; start < total; start += batch)
        {
            int n = Math.Min(batch, total - start);
            var images = Tensor.Zeros(n, 4, Side, Side);
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                int label = (start + i) % 3;
                labels[i] = label;
                for (int c = 0; c < 4; c++)
                {
                    bool on = label == 2 || label == 0 && c < 2 || label == 1 && c >= 2;
                    if (!on) continue;
                    float scale = label == 2 ? 0.5f : 1f;
                    for (int p = 0; p < hw; p++) images.Data[(i * 4 + c) * hw + p] = scale * rng.NextSingle();
                }
            }
            batches.Add(new LabelledBatch(images, labels, start));
        }
        return batches;
    }
}
