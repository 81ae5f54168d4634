// PURE end to end on a seeded small-resnet: virtual neurons are a consistent partition (every reference is routed to its
// own cluster, members ranked by activation, routed inputs ranked), pooled baseline vectors and judge embeddings equal
// values captured directly, and the evaluation covers every split neuron.

using Unravel.Interpret.Collection;
using Unravel.Interpret.Pure;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Testing;
using Unravel.Atlas;

namespace Unravel.Interpret.Tests.Pure;

public sealed class PureAnalysisTests
{
    private static readonly PureOptions Options = new() { Layer = "layer3", LowerLayer = "layer2", K = 2, Restarts = 4, Seed = 1, Batch = 8 };

    private static (RootModule Model, ImageDataset Data, PureResult Result) Run(PureOptions options)
    {
        RootModule model = CircuitsTests.SmallResNet();
        ImageDataset data = CircuitsTests.Images(40, seed: 8);
        long[] refs = Enumerable.Range(0, 24).Select(i => (long)i).ToArray();
        long[] candidates = Enumerable.Range(24, 16).Select(i => (long)i).ToArray();
        PureNeuronRequest[] requests = [new(2, refs, candidates), new(17, refs, candidates), new(90, refs, candidates)];
        return (model, data, PureAnalysis.Run(model, data, requests, options));
    }

    [Fact]
    public void Run_SmallResNet_VirtualNeuronsPartitionTheReferences()
    {
        (_, _, PureResult result) = Run(Options);
        Assert.Equal([2, 17, 90], result.Neurons.Select(n => n.Neuron));
        foreach (PureNeuronResult n in result.Neurons.Where(n => n.K > 0))
        {
            Assert.Equal(2, n.K);
            for (int r = 0; r < n.References.Length; r++)
            {
                Assert.True(n.Activations[r] > 0);
                float[,] centroids = new float[n.K, n.Circuits[r].Length];
                for (int c = 0; c < n.K; c++)
                    for (int j = 0; j < centroids.GetLength(1); j++) centroids[c, j] = n.VirtualNeurons[c].Centroid[j];
                Assert.Equal(n.Labels[r], VirtualNeurons.Route(n.Circuits[r], centroids));
                Assert.Same(result.Circuits.Circuits[new CircuitRequest(n.Neuron, n.References[r])], n.Circuits[r]);
            }
            Assert.Equal(1.0, n.VirtualNeurons.Sum(v => v.Share), 1e-12);
            var routedAll = new HashSet<long>();
            foreach (VirtualNeuron v in n.VirtualNeurons)
            {
                long[] expected = Enumerable.Range(0, n.References.Length).Where(r => n.Labels[r] == v.Id)
                    .OrderByDescending(r => n.Activations[r]).Select(r => n.References[r]).ToArray();
                Assert.Equal(expected, v.Members);
                Assert.Equal(v.TopScores.OrderDescending(), v.TopScores);
                Assert.Subset(v.TopInputs.ToHashSet(), v.Members.ToHashSet());
                routedAll.UnionWith(v.TopInputs);
            }
            long[] active = Enumerable.Range(0, 40).Select(i => (long)i).Where(i => result.Circuits.Activations[new CircuitRequest(n.Neuron, i)] > 0).ToArray();
            Assert.Equal(active.ToHashSet(), routedAll);
        }
        Assert.Contains(result.Neurons, n => n.K == 2);
    }

    [Fact]
    public void Run_PooledAndJudge_EqualDirectCaptures()
    {
        (RootModule model, ImageDataset data, PureResult result) = Run(Options);
        PureNeuronResult n = result.Neurons.First(n => n.K == 2);
        long[] refs = n.References;
        ActivationCache cache = model.RunWithCache(() => data.Forward(model, refs), "layer3", "avgpool");
        Tensor a = cache["layer3"], pool = cache["avgpool"];                       // [n, 128, 7, 7], [n, 128, 1, 1]
        int c = a.Dim(1), p = a.Length / (refs.Length * c);
        float[] expected = Enumerable.Range(0, refs.Length * c).Select(k => (float)a.Data.Slice(k * p, p).ToArray().Average(v => Math.Max(v, 0f))).ToArray();
        TensorAssert.Close(expected, n.Pooled.SelectMany(v => v).ToArray(), 1e-6f, 1e-5f, "pooled relu mean");

        var judge = new ModelFeatureJudge(model, data, "avgpool", "self", independent: false, batch: 5);
        TensorAssert.Close(pool.Data, judge.Embed(refs).SelectMany(v => v).ToArray(), 1e-6f, 1e-5f, "judge embedding");

        PureEvaluation eval = PureEvaluator.Evaluate(result, judge);
        Assert.Equal(result.Neurons.Count(x => x.K >= 2 && x.References.Length >= 3), eval.Neurons.Count);
        Assert.Equal(PureEvaluator.Methods, eval.Summary.Select(s => s.Method));
        NeuronEvaluation ne = eval.Neurons.First(e => e.Neuron == n.Neuron);
        ClusterDistances pure = ne.Methods["pure"];
        Assert.Equal(PureEvaluator.Distances(judge.Embed(refs), n.Labels).Gap, pure.Gap, 1e-9);
        // Random labels keep PURE's cluster sizes, so the overall mean is the same and the gap is small on average.
        Assert.Equal(pure.Overall, ne.Methods["random"].Overall, 1e-9);
    }

    [Fact]
    public void Run_AutoK_RecordsSilhouettePerK()
    {
        (_, _, PureResult result) = Run(Options with { AutoK = true });
        PureNeuronResult n = result.Neurons.First(n => n.K > 0);
        Assert.NotNull(n.KSelection);
        Assert.Equal(n.KSelection!.MaxBy(kv => kv.Value).Key, n.K);
    }
}
