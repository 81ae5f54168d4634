// Collector on a seeded small-resnet over 200 synthetic images: two layers against the brute-force reference computed
// from every captured activation, NaN injection through a hook, unknown layer names, progress and cancellation.

using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Interpret.Collection;
using Unravel.Models;

namespace Unravel.Interpret.Tests.Collection;

public sealed class CollectorTests
{
    internal const int Images = 200;
    internal static readonly CollectionOptions Options = new() { TopK = 10, ClassTopK = 4, HistogramBins = 16, RandomSamples = 12, Quantiles = 7, Seed = 1 };

    internal static RootModule SmallResNet() => ModelRegistry.Get("small-resnet").Create(WeightSource.Initialize(7));

    internal static ImageDataset Synthetic()
    {
        var rng = new Random(11);
        Tensor images = Tensor.RandomNormal(rng, Images, 1, 28, 28);
        int[] labels = Enumerable.Range(0, Images).Select(_ => rng.Next(10)).ToArray();
        return new ImageDataset(images, labels, "synthetic normal images");
    }

    /// <summary>Every activation of <paramref name="layer"/>, captured with the same batching as the collector.</summary>
    private static float[] Capture(RootModule model, ImageDataset data, string layer, int batch, Func<string, Tensor, Tensor?>? inject = null)
    {
        model.Eval();
        var all = new List<float>();
        using IDisposable? h = inject is null ? null : model.Hooks.Add(layer, inject);
        for (int start = 0; start < data.Count; start += batch)
        {
            int count = Math.Min(batch, data.Count - start);
            all.AddRange(model.RunWithCache(() => data.Forward(model, start, count), layer)[layer].ToArray());
        }
        return [.. all];
    }

    [Fact]
    public void SmallResNet_TwoLayers_MatchBruteForce()
    {
        RootModule model = SmallResNet();
        ImageDataset data = Synthetic();
        CollectionResult result = Collector.Run(model, data, ["layer2", "fc"], Options, batchSize: 37);
        Assert.Equal(["layer2", "fc"], result.Layers.Select(l => l.Name));
        int[] labels = [.. data.Labels!];

        LayerStatisticsResult conv = result.Layers[0];
        Assert.Equal(3, conv.ItemShape.Length);
        int c = conv.ItemShape[0], p = conv.ItemShape[1] * conv.ItemShape[2];
        new BruteForce(Capture(model, data, "layer2", 37), Images, c, p, true).AssertMatches(conv, labels, Options);

        LayerStatisticsResult fc = result.Layers[1];
        Assert.Equal([10], fc.ItemShape);
        new BruteForce(Capture(model, data, "fc", 37), Images, 10, 1, true).AssertMatches(fc, labels, Options);
    }

    [Fact]
    public void NanInjectedByHook_CountedAndNotRanked()
    {
        RootModule model = SmallResNet();
        ImageDataset data = Synthetic();
        // Input 3 gets NaN over all of channel 1, input 4 one NaN at channel 0 position 5.
        Func<string, Tensor, Tensor?> inject = null!;
        int batchStart = 0;
        inject = (_, t) =>
        {
            Tensor y = t.Clone();
            int c = t.Dim(1), p = t.Dim(2) * t.Dim(3);
            Span<float> d = y.Data;
            for (int i = 0; i < t.Dim(0); i++)
            {
                long index = batchStart + i;
                if (index == 3) d.Slice((i * c + 1) * p, p).Fill(float.NaN);
                if (index == 4) d[(i * c + 0) * p + 5] = float.NaN;
            }
            batchStart += t.Dim(0);
            return y;
        };
        using (model.Hooks.Add("layer1", inject))
        {
            CollectionResult r = Collector.Run(model, data, ["layer1"], Options with { TopK = Images }, batchSize: 64);
            LayerStatisticsResult s = r.Layers[0];
            int c = s.Neurons, p = s.Positions;
            Assert.Equal(p, s.NanCount[1]);
            Assert.Equal(1, s.NanCount[0]);
            Assert.All(Enumerable.Range(2, c - 2), ch => Assert.Equal(0, s.NanCount[ch]));
            var ranked1 = Enumerable.Range(0, Images).Select(k => s.TopByMax.Indices[k * c + 1]).ToArray();
            Assert.DoesNotContain(3L, ranked1);
            Assert.Equal(-1L, ranked1[^1]);
            Assert.Contains(3L, Enumerable.Range(0, Images).Select(k => s.TopByMax.Indices[k * c + 0]));
            Assert.All(s.Mean, m => Assert.True(double.IsFinite(m)));
            Assert.True(float.IsNaN(s.PooledMax![3 * c + 1]));
        }
    }

    [Fact]
    public void UnknownLayer_MessageListsValidNames()
    {
        RootModule model = SmallResNet();
        var e = Assert.Throws<HookNotFoundException>(() => Collector.Run(model, Synthetic(), ["layer2", "layer9"], Options));
        Assert.Contains("layer9", e.Message);
        Assert.Contains("layer2", e.Hint);
        Assert.Contains("fc", e.Hint);
    }

    [Fact]
    public void Progress_ReportsEveryBatch_AndCancellationStops()
    {
        RootModule model = SmallResNet();
        var reports = new List<CollectionProgress>();
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { reports.Add(p); if (p.Done >= 40) cts.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => Collector.Run(model, Synthetic(), ["fc"], Options, 20, null, progress, cts.Token));
        Assert.Equal([20, 40], reports.Select(r => r.Done));
        Assert.All(reports, r => Assert.Equal(Images, r.Total));
        Assert.True(reports[0].ItemsPerSecond > 0);
    }

    [Fact]
    public void Limit_CollectsOnlyFirstInputs()
    {
        CollectionResult r = Collector.Run(SmallResNet(), Synthetic(), ["fc"], Options, 16, limit: 40);
        Assert.Equal(40, r.Inputs);
        Assert.Equal(40, r.Layers[0].Inputs);
        Assert.True(r.Layers[0].TopByMax.Indices.All(i => i < 40));
    }

    private sealed class SyncProgress(Action<CollectionProgress> report) : IProgress<CollectionProgress>
    {
        public void Report(CollectionProgress value) => report(value);
    }
}
