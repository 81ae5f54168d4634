// One streaming pass: runs a model over a dataset in batches with activation caching on the requested hook names and
// feeds each captured activation into that layer's LayerStatistics. Memory: one batch of activations plus the
// statistics (independent of the dataset unless CollectionOptions.KeepPooled).
// Determinism: every statistic is updated batch by batch in index order, and each neuron by one thread, so a run that
// is checkpointed, killed and resumed with the same batching ends with bit-identical arrays. A shard (a contiguous
// index range starting on a batch boundary, so that it forms the same batches as one pass) fixes its histogram ranges
// from the first batch of the whole dataset, as a single pass would, so that merged shards bin exactly like one pass.

using Unravel.Nn;
using Unravel.Tensors;
using System.Diagnostics;
using System.Globalization;
using Unravel.IO;

using Unravel.Models.Vision;

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
        int batchSize = 64, int? limit = null, IProgress<CollectionProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Run(model, dataset, layers, options, new CollectionRunOptions { BatchSize = batchSize, Limit = limit }, progress, cancellationToken);

    /// <summary>Runs <paramref name="model"/> (switched to eval mode) over the inputs <paramref name="run"/> selects, with
    /// optional checkpoints and resume.</summary>
    /// <param name="model">The model; must accept the dataset's inputs.</param>
    /// <param name="dataset">Inputs (and labels, which enable per-class top-k).</param>
    /// <param name="layers">Hook names or globs; every matching hook becomes a layer.</param>
    /// <param name="options">What to keep per neuron.</param>
    /// <param name="run">Batching, range, checkpoints.</param>
    /// <param name="progress">Called after each batch on the calling thread.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">A layer name matches no hook point (the message lists the valid names), the
    /// model does not fit the data, the shard is invalid, or the checkpoint belongs to another run.</exception>
    /// <exception cref="InvalidDataException">The checkpoint file is damaged.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (the last checkpoint stays for a resume).</exception>
    public static CollectionResult Run(RootModule model, ICollectionDataset dataset, IReadOnlyList<string> layers, CollectionOptions options,
        CollectionRunOptions run, IProgress<CollectionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(run);
        int batchSize = run.BatchSize;
        if (layers.Count == 0) throw new ArgumentException("collect: no layers requested.", nameof(layers));
        if (batchSize < 1) throw new ArgumentException($"collect: batch size {batchSize} must be at least 1.", nameof(run));
        if (run.Shard is { } sh && (sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count))
            throw new ArgumentException($"collect: shard {sh.Index}/{sh.Count} must satisfy 0 ≤ i < n.", nameof(run));
        // Fail before any work: the hook registry checks each name and lists the valid ones.
        foreach (string layer in layers) model.Hooks.Add(layer, (_, _) => { }).Dispose();
        model.Eval();

        int total = Math.Min(dataset.Count, run.Limit ?? int.MaxValue);
        (int first, int end) = run.Shard is { } s ? ShardRange(s.Index, s.Count, total, batchSize) : (0, total);
        string fingerprint = string.Create(CultureInfo.InvariantCulture,
            $"{run.Identity}|inputs={dataset.Count}|layers={string.Join(",", layers)}|{options}|batch={batchSize}|range={first}-{end}");
        IReadOnlyList<int>? labels = dataset.Labels;
        string[] names = [.. layers];
        Dictionary<string, int> hookOrder = model.AllHookNames.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i);
        var stats = new Dictionary<string, LayerStatistics>();
        var order = new List<string>();
        int next = first;
        TimeSpan elapsedBefore = TimeSpan.Zero, forwardBefore = TimeSpan.Zero;
        if (run.Resume && run.CheckpointPath is { } resumeFrom && File.Exists(resumeFrom))
        {
            CollectionState state = CollectionState.Load(resumeFrom, requireChecksum: true);
            if (state.Fingerprint != fingerprint)
                throw new AnalysisException($"collect: checkpoint {resumeFrom} belongs to a different run (model, data, layers, options, batch size or shard differ).",
                    $"delete {resumeFrom} to start over, or run without --resume");
            foreach (LayerStatistics l in state.Layers) { stats[l.Name] = l; order.Add(l.Name); }
            next = state.Next;
            elapsedBefore = state.Elapsed;
            forwardBefore = state.ForwardTime;
        }

        var watch = Stopwatch.StartNew();
        var forwardWatch = new Stopwatch();
        var sinceCheckpoint = Stopwatch.StartNew();
        Tensor Pool(Tensor a) => options.TokenPool is { } pool && a.Rank == 3 ? ViT.PoolTokens(a, pool) : a;   // [N, T, D] → [N, D]
        IEnumerable<string> Ordered(ActivationCache cache) =>
            cache.Names.OrderBy(n => hookOrder.GetValueOrDefault(n, int.MaxValue)).ThenBy(n => n, StringComparer.Ordinal);
        LayerStatistics Layer(string name, Tensor a)
        {
            if (!stats.TryGetValue(name, out LayerStatistics? l))
            {
                l = new LayerStatistics(name, a.Shape[1..].ToArray(), LayerStatistics.LayoutOf(a), options);
                stats[name] = l;
                order.Add(name);
            }
            return l;
        }
        if (first > 0 && next < end && options.HistogramRange is null)
        {
            // A shard bins with the ranges a single pass takes from its first batch.
            int count = Math.Min(batchSize, total);
            ActivationCache cache = model.RunWithCache(() => dataset.Forward(model, 0, count), names);
            foreach (string name in Ordered(cache)) Layer(name, Pool(cache[name])).PrimeHistogramRange(Pool(cache[name]));
        }
        CollectionState Snapshot(int upTo) => new(fingerprint, upTo, elapsedBefore + watch.Elapsed, forwardBefore + forwardWatch.Elapsed,
            order.Select(n => stats[n]).ToList());

        using FrozenWeights frozen = model.FreezeWeights();   // inference only: convolutions pack their weights once
        // Each batch's activations live only until its statistics are updated: the same buffers serve every batch.
        var arena = new TensorArena();
        for (int start = next; start < end; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using ArenaScope batchScope = arena.Begin();
            int count = Math.Min(batchSize, end - start);
            forwardWatch.Start();
            ActivationCache cache = model.RunWithCache(() => dataset.Forward(model, start, count), names);
            forwardWatch.Stop();
            int[]? batchLabels = labels is null ? null : Enumerable.Range(start, count).Select(i => labels[i]).ToArray();
            foreach (string name in Ordered(cache))
            {
                Tensor a = Pool(cache[name]);
                Layer(name, a).Update(a, start, batchLabels);
            }
            int done = start + count;
            if (run.CheckpointPath is { } checkpoint && done < end && sinceCheckpoint.Elapsed >= run.CheckpointInterval)
            {
                CollectionState state = Snapshot(done);
                AtomicFile.Write(checkpoint, stream => CollectionState.Save(stream, state));
                sinceCheckpoint.Restart();
            }
            double seconds = watch.Elapsed.TotalSeconds;
            double rate = (done - next) / Math.Max(seconds, 1e-9);
            progress?.Report(new CollectionProgress(done - first, end - first, rate, TimeSpan.FromSeconds((end - done) / rate)));
        }
        return new CollectionResult(order.Select(n => stats[n].ToResult()).ToList(), end - first, batchSize,
            elapsedBefore + watch.Elapsed, forwardBefore + forwardWatch.Elapsed)
        {
            FirstInput = first, State = Snapshot(end),
        };
    }

    /// <summary>Inputs [first, end) of shard <paramref name="index"/> of <paramref name="count"/>: ⌊i·N/n⌋ rounded down to a
    /// multiple of the batch size (the last shard ends at N), so that a shard's batches are exactly the batches a single
    /// run forms and every activation is computed as it would be there (some kernels round differently with the batch
    /// composition).</summary>
    public static (int First, int End) ShardRange(int index, int count, int total, int batchSize)
    {
        int Start(int i) => i >= count ? total : (int)((long)i * total / count / batchSize * batchSize);
        return (Start(index), Start(index + 1));
    }
}
