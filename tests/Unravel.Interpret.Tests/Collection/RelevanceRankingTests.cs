// RelevanceRanking (collect --relevance) on a seeded small-resnet over synthetic images against a brute-force reference:
// every input attributed alone with Lrp.Attribute, its channel relevance (CRP R_c) and relevance-map argmax per channel,
// then a full sort per channel (higher value first, lower input index on ties).

using Unravel.Interpret.Attribution;
using Unravel.Interpret.Collection;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Tests.Collection;

public sealed class RelevanceRankingTests
{
    private const int Inputs = 23;
    private const int K = 5;
    private static readonly string[] Layers = ["layer2", "layer3"];

    private static ImageDataset Data()
    {
        var rng = new Random(3);
        Tensor images = Tensor.RandomNormal(rng, Inputs, 1, 28, 28);
        return new ImageDataset(images, Enumerable.Range(0, Inputs).Select(i => (i * 7) % 10).ToArray(), "synthetic");
    }

    [Theory]
    [InlineData(RelevanceTarget.Predicted)]
    [InlineData(RelevanceTarget.Label)]
    public void SmallResNet_BatchedPass_MatchesPerInputBruteForce(RelevanceTarget target)
    {
        RootModule model = CollectorTests.SmallResNet();
        ImageDataset data = Data();
        var options = new RelevanceOptions { TopK = K, BatchSize = 7, Target = target };
        RelevanceTables tables = RelevanceRanking.Run(model, data, Layers, options, 0, Inputs);

        // Brute force: one input at a time.
        var sums = Layers.ToDictionary(l => l, _ => new List<float[]>());
        var argmax = Layers.ToDictionary(l => l, _ => new List<int[]>());
        for (int i = 0; i < Inputs; i++)
        {
            AttributionTarget t = target == RelevanceTarget.Label ? AttributionTarget.Class(data.Labels![i]) : AttributionTarget.Predicted;
            LrpResult r = Lrp.Attribute(model, data.Gather([i]), new LrpOptions { Composite = Composites.EpsilonPlusFlat(), Target = t, RecordLayers = Layers });
            foreach (string layer in Layers)
            {
                sums[layer].Add(r.ChannelRelevance(layer).ToArray());
                Tensor rel = r.LayerRelevance[layer];                                                   // [1, C, H, W]
                int c = rel.Dim(1), p = rel.Length / c;
                argmax[layer].Add(Enumerable.Range(0, c).Select(ch =>
                {
                    int best = 0;
                    for (int q = 1; q < p; q++) if (rel.Data[ch * p + q] > rel.Data[ch * p + best]) best = q;
                    return best;
                }).ToArray());
            }
        }

        foreach (string layer in Layers)
        {
            TopKArrays got = tables.Layers[layer];
            int c = sums[layer][0].Length;
            Assert.Equal(c, got.Neurons);
            Assert.Equal(K, got.K);
            for (int ch = 0; ch < c; ch++)
            {
                int[] order = Enumerable.Range(0, Inputs).OrderByDescending(i => sums[layer][i][ch]).ThenBy(i => i).Take(K).ToArray();
                for (int row = 0; row < K; row++)
                {
                    int at = row * c + ch;
                    Assert.Equal(order[row], got.Indices[at]);
                    Assert.Equal(sums[layer][order[row]][ch], got.Values[at], 1e-5 * Math.Max(1.0, Math.Abs(got.Values[at])));
                    Assert.Equal(argmax[layer][order[row]][ch], got.Positions[at]);
                }
            }
        }
    }

    [Fact]
    public void LabelTarget_WithoutLabels_Throws()
    {
        var data = new ImageDataset(Tensor.Zeros(2, 1, 28, 28), null, "no labels");
        var e = Assert.Throws<ArgumentException>(() => RelevanceRanking.Run(CollectorTests.SmallResNet(), data, Layers,
            new RelevanceOptions { Target = RelevanceTarget.Label }, 0, 2));
        Assert.Contains("no labels", e.Message);
    }
}
