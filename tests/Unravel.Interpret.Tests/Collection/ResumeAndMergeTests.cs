// Fault tolerance and scale: a run checkpointed after every batch, stopped after a few batches (as a kill would stop
// it) and resumed ends with arrays bit-identical to an uninterrupted run; shards merged with AtlasMerger equal one run
// (exactly, except mean/std which agree to float64 rounding; shards start on batch boundaries, so every activation comes
// from the same forward batch as in the single run).

using Unravel.Nn;
using Unravel.Interpret.Collection;
using Unravel.Atlas;

namespace Unravel.Interpret.Tests.Collection;

public sealed class ResumeAndMergeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Layers = ["layer2", "fc"];

    /// <summary>Cancels the run once <paramref name="after"/> inputs are done.</summary>
    private sealed class StopAfter(int after, CancellationTokenSource cts) : IProgress<CollectionProgress>
    {
        public void Report(CollectionProgress p) { if (p.Done >= after) cts.Cancel(); }
    }

    [Fact]
    public void KilledAndResumed_EqualsUninterruptedRun_BitForBit()
    {
        RootModule model = CollectorTests.SmallResNet();
        ImageDataset data = CollectorTests.Synthetic();
        var run = new CollectionRunOptions { BatchSize = 32, CheckpointPath = Path.Combine(_dir, "ckpt"), CheckpointInterval = TimeSpan.Zero, Resume = true };
        CollectionResult once = Collector.Run(model, data, Layers, CollectorTests.Options, run with { CheckpointPath = null });

        using (var cts = new CancellationTokenSource())
            Assert.Throws<OperationCanceledException>(() => Collector.Run(model, data, Layers, CollectorTests.Options, run, new StopAfter(96, cts), cts.Token));
        Assert.Equal(96, CollectionState.Load(run.CheckpointPath!).Next);
        // A second interruption after resuming, then the rest: state survives more than one restart.
        using (var cts = new CancellationTokenSource())
            Assert.Throws<OperationCanceledException>(() => Collector.Run(model, data, Layers, CollectorTests.Options, run, new StopAfter(160, cts), cts.Token));
        Assert.Equal(160, CollectionState.Load(run.CheckpointPath!).Next);
        CollectionResult resumed = Collector.Run(model, data, Layers, CollectorTests.Options, run);

        Assert.Equal(once.Inputs, resumed.Inputs);
        for (int i = 0; i < Layers.Length; i++) AssertIdentical(once.Layers[i], resumed.Layers[i], exactMoments: true);
    }

    [Fact]
    public void Resume_CheckpointOfAnotherRun_IsRefused()
    {
        RootModule model = CollectorTests.SmallResNet();
        ImageDataset data = CollectorTests.Synthetic();
        var run = new CollectionRunOptions { BatchSize = 32, CheckpointPath = Path.Combine(_dir, "ckpt"), CheckpointInterval = TimeSpan.Zero, Resume = true };
        using (var cts = new CancellationTokenSource())
            Assert.Throws<OperationCanceledException>(() => Collector.Run(model, data, Layers, CollectorTests.Options, run, new StopAfter(64, cts), cts.Token));
        var e = Assert.Throws<AnalysisException>(() => Collector.Run(model, data, Layers, CollectorTests.Options, run with { BatchSize = 16 }));
        Assert.Contains("different run", e.Message);
    }

    [Fact]
    public void ThreeShards_Merged_EqualOneRun()
    {
        RootModule model = CollectorTests.SmallResNet();
        ImageDataset data = CollectorTests.Synthetic();
        var provenance = new AtlasProvenance("test", "small-resnet", "random", null, "synthetic", "synthetic", "0", "test");
        CollectionResult once = Collector.Run(model, data, Layers, CollectorTests.Options, new CollectionRunOptions { BatchSize = 24 });
        var shards = new List<AtlasReader>();
        foreach (int i in new[] { 2, 0, 1 })
        {
            CollectionResult part = Collector.Run(model, data, Layers, CollectorTests.Options, new CollectionRunOptions { BatchSize = 24, Shard = (i, 3) });
            Assert.Equal(i * 200 / 3 / 24 * 24, part.FirstInput);   // 0, 48, 120: on batch boundaries
            string path = Path.Combine(_dir, $"shard{i}");
            AtlasWriter.Write(path, part, CollectorTests.Options, provenance, extraManifest: new System.Text.Json.Nodes.JsonObject
            {
                ["shard"] = new System.Text.Json.Nodes.JsonObject { ["first"] = part.FirstInput, ["end"] = part.FirstInput + part.Inputs },
            });
            shards.Add(AtlasReader.Open(path));
        }
        CollectionResult merged = AtlasMerger.Merge(shards);
        Assert.Equal(200, merged.Inputs);
        for (int i = 0; i < Layers.Length; i++) AssertIdentical(once.Layers[i], merged.Layers[i], exactMoments: false);

        var e = Assert.Throws<AnalysisException>(() => AtlasMerger.Merge([shards[0], shards[0]]));
        Assert.Contains("overlaps", e.Message);
    }

    private static void AssertIdentical(LayerStatisticsResult a, LayerStatisticsResult b, bool exactMoments)
    {
        static void Top(TopKArrays x, TopKArrays y)
        {
            Assert.Equal(x.Indices, y.Indices);
            Assert.Equal(x.Positions, y.Positions);
            Assert.Equal(x.Values, y.Values);   // exact: the same activation values from the same batches
        }
        Assert.Equal(a.Inputs, b.Inputs);
        Top(a.TopByMax, b.TopByMax);
        Top(a.TopByMean, b.TopByMean);
        Assert.Equal(a.TopByClass.Keys, b.TopByClass.Keys);
        foreach (int label in a.TopByClass.Keys)
        {
            Top(a.TopByClass[label].ByMax, b.TopByClass[label].ByMax);
            Top(a.TopByClass[label].ByMean, b.TopByClass[label].ByMean);
        }
        Assert.Equal(a.Count, b.Count);
        Assert.Equal(a.Min, b.Min);
        Assert.Equal(a.Max, b.Max);
        Assert.Equal(a.FractionPositive, b.FractionPositive);
        Assert.Equal(a.NanCount, b.NanCount);
        Assert.Equal(a.InfCount, b.InfCount);
        Assert.Equal(a.HistogramRange, b.HistogramRange);
        Assert.Equal(a.Histogram, b.Histogram);
        Assert.Equal(a.HistogramOutside, b.HistogramOutside);
        Assert.Equal(a.RandomIndices, b.RandomIndices);
        Assert.Equal(a.RandomValues, b.RandomValues);
        Assert.Equal(a.QuantileIndices, b.QuantileIndices);
        Assert.Equal(a.QuantileValues, b.QuantileValues);
        Assert.Equal(a.PooledIndices, b.PooledIndices);
        Assert.Equal(a.PooledMax, b.PooledMax);
        Assert.Equal(a.PooledMean, b.PooledMean);
        if (exactMoments)
        {
            Assert.Equal(a.Mean, b.Mean);
            Assert.Equal(a.Std, b.Std);
            return;
        }
        for (int c = 0; c < a.Neurons; c++)
        {
            Assert.Equal(a.Mean[c], b.Mean[c], 1e-12 * Math.Max(1, Math.Abs(a.Mean[c])));
            Assert.Equal(a.Std[c], b.Std[c], 1e-12 * Math.Max(1, a.Std[c]));
        }
    }
}
