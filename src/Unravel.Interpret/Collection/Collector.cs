// One streaming pass: runs a model over a dataset in batches with activation caching on the requested hook names and
// feeds each captured activation into that layer's LayerStatistics. Memory: one batch of activations plus the
// statistics (independent of the dataset unless CollectionOptions.KeepPooled).

using Unravel.Nn;
using Unravel.Tensors;
using System.Diagnostics;

namespace Unravel.Interpret.Collection;

/// <summary>Collects per-neuron statistics of model layers over a dataset.</summary>
public static class Collector
{
    /// <summary>Runs <paramref name="model"/> (switched to eval mode) over the first <paramref name="limit"/> inputs.</summary>
    /// <param name="model">The model; must accept the dataset's inputs.</param>
    /// <param name="dataset">Inputs (and labels, which enable per-class top-k).</param>
    /// <param name="layers">Hook names or globs; every matching hook becomes a layer.</param>
    /// <param name="options">What to keep per neuron.</param>
    /// <param name="batchSize">Inputs per forward pass.</param>
    /// <param name="limit">Only the first inputs; null for all.</param>
    /// <param name="progress">Called after each batch on the calling thread.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">A layer name matches no hook point (the message lists the valid names), or
    /// the model does not fit the data.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static CollectionResult Run(RootModule model, ICollectionDataset dataset, IReadOnlyList<string> layers, CollectionOptions options,
        int batchSize = 64, int? limit = null, IProgress<CollectionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(options);
        if (layers.Count == 0) throw new ArgumentException("collect: no layers requested.", nameof(layers));
        if (batchSize < 1) throw new ArgumentException($"collect: batch size {batchSize} must be at least 1.", nameof(batchSize));
        // Fail before any work: the hook registry checks each name and lists the valid ones.
        foreach (string layer in layers) model.Hooks.Add(layer, (_, _) => { }).Dispose();
        model.Eval();

        int total = Math.Min(dataset.Count, limit ?? int.MaxValue);
        IReadOnlyList<int>? labels = dataset.Labels;
        string[] names = [.. layers];
        Dictionary<string, int> hookOrder = model.AllHookNames.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i);
        var stats = new Dictionary<string, LayerStatistics>();
        var order = new List<string>();
        var watch = Stopwatch.StartNew();
        var forwardWatch = new Stopwatch();
        for (int start = 0; start < total; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, total - start);
            forwardWatch.Start();
            ActivationCache cache = model.RunWithCache(() => dataset.Forward(model, start, count), names);
            forwardWatch.Stop();
            int[]? batchLabels = labels is null ? null : Enumerable.Range(start, count).Select(i => labels[i]).ToArray();
            foreach (string name in cache.Names.OrderBy(n => hookOrder.GetValueOrDefault(n, int.MaxValue)).ThenBy(n => n, StringComparer.Ordinal))
            {
                Tensor a = cache[name];
                if (!stats.TryGetValue(name, out LayerStatistics? s))
                {
                    s = new LayerStatistics(name, a.Shape[1..].ToArray(), LayerStatistics.LayoutOf(a), options);
                    stats[name] = s;
                    order.Add(name);
                }
                s.Update(a, start, batchLabels);
            }
            double seconds = watch.Elapsed.TotalSeconds;
            int done = start + count;
            double rate = done / Math.Max(seconds, 1e-9);
            progress?.Report(new CollectionProgress(done, total, rate, TimeSpan.FromSeconds((total - done) / rate)));
        }
        return new CollectionResult(order.Select(n => stats[n].ToResult()).ToList(), total, batchSize, watch.Elapsed, forwardWatch.Elapsed);
    }
}
