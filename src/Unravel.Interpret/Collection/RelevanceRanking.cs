// Relevance-ranked reference inputs (CRP's RelMax, Achtibat et al. 2023, https://doi.org/10.1038/s42256-023-00711-8;
// docs/methods/lrp-crp.md): one pass over the dataset, per batch one taped forward and one LRP backward
// from the target logit with every collected layer recorded; per input and channel the statistic is the channel's
// relevance summed over positions (max_target = "sum", not normalised across channels, as PURE uses it), with the flat
// argmax position of the channel's relevance map. The top-k per channel uses the collector's TopKTable (higher value
// first, then lower input index), so batching does not change the tables. Written next to the activation rankings as
// top_rel_{indices,values,positions} [K, C].

using System.Diagnostics;
using System.Text.Json.Nodes;
using Unravel.Interpret.Attribution;
using Unravel.IO;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Collection;

/// <summary>Which class the relevance pass explains.</summary>
public enum RelevanceTarget
{
    /// <summary>The predicted (arg-max) class of each input.</summary>
    Predicted,

    /// <summary>The dataset label of each input (CRP's reference collection).</summary>
    Label,
}

/// <summary>Options of the relevance pass.</summary>
public sealed record RelevanceOptions
{
    /// <summary>Composite name (see <see cref="Composites.Names"/>); epsilon-plus-flat by default.</summary>
    public string Composite { get; init; } = "epsilon-plus-flat";

    /// <summary>The explained class.</summary>
    public RelevanceTarget Target { get; init; } = RelevanceTarget.Predicted;

    /// <summary>Reference inputs kept per channel.</summary>
    public int TopK { get; init; } = 100;

    /// <summary>Inputs per LRP batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The manifest entry: {"composite", "target", "top_k", "statistic"}.</summary>
    public JsonObject ToManifest() => new()
    {
        ["composite"] = Composite, ["target"] = Target == RelevanceTarget.Label ? "label" : "predicted", ["top_k"] = TopK,
        ["statistic"] = "sum over positions of the channel's LRP relevance (CRP max_target=sum, unnormalised)",
    };
}

/// <summary>Relevance top-k tables of the collected layers, keyed by layer name.</summary>
/// <param name="Options">The options of the pass.</param>
/// <param name="Layers">Layer name → top-k [K, C] by channel relevance.</param>
/// <param name="Elapsed">Time of the pass.</param>
public sealed record RelevanceTables(RelevanceOptions Options, IReadOnlyDictionary<string, TopKArrays> Layers, TimeSpan Elapsed);

/// <summary>Ranks inputs per channel by CRP channel relevance.</summary>
public static class RelevanceRanking
{
    /// <summary>Array prefix of the relevance ranking in a layer folder.</summary>
    public const string Prefix = "top_rel";

    /// <summary>Runs the relevance pass over inputs <paramref name="first"/> … <paramref name="end"/> - 1.</summary>
    /// <param name="model">An image classifier (switched to eval mode).</param>
    /// <param name="dataset">The images (and labels for <see cref="RelevanceTarget.Label"/>).</param>
    /// <param name="layers">Resolved hook names to rank (all recorded in one backward per batch).</param>
    /// <param name="options">Composite, target, k, batch size.</param>
    /// <param name="first">First dataset index.</param>
    /// <param name="end">One past the last dataset index.</param>
    /// <param name="progress">Called after each batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">The model is not an image classifier, the dataset is not an image dataset, the
    /// composite is unknown, the target is the label but the dataset has none, or a layer is unknown.</exception>
    public static RelevanceTables Run(RootModule model, ICollectionDataset dataset, IReadOnlyList<string> layers, RelevanceOptions options,
        int first, int end, IProgress<CollectionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(options);
        if (model is not Unravel.Models.Vision.IImageClassifier)
            throw new ArgumentException($"relevance: {model.GetType().Name} is not an image classifier; relevance ranking needs LRP on an image model.", nameof(model));
        if (dataset is not ImageDataset images)
            throw new ArgumentException("relevance: relevance ranking needs an image dataset.", nameof(dataset));
        if (options.TopK < 1 || options.BatchSize < 1)
            throw new ArgumentException($"relevance: k ({options.TopK}) and batch size ({options.BatchSize}) must be at least 1.", nameof(options));
        IReadOnlyList<int>? labels = dataset.Labels;
        if (options.Target == RelevanceTarget.Label && labels is null)
            throw new ArgumentException("relevance: the target is the label but the dataset has no labels.", nameof(options));
        Composite composite = Composites.Create(options.Composite);
        var tables = new Dictionary<string, TopKTable>();
        var watch = Stopwatch.StartNew();
        // A batch's activations, relevances and gradients live only until its top-k tables are updated: the same
        // buffers serve every batch.
        var arena = new TensorArena();
        for (int start = first; start < end; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using ArenaScope batchScope = arena.Begin();
            int count = Math.Min(options.BatchSize, end - start);
            long[] indices = [.. Enumerable.Range(start, count).Select(i => (long)i)];
            AttributionTarget target = options.Target == RelevanceTarget.Label
                ? new AttributionTarget(indices.Select(i => labels![(int)i]).ToArray()) : AttributionTarget.Predicted;
            LrpResult r = Lrp.Attribute(model, images.Gather(indices), new LrpOptions { Composite = composite, Target = target, RecordLayers = layers });
            foreach (string layer in layers) Offer(tables, layer, r.LayerRelevance[layer], start, options.TopK);
            int done = start + count;
            double rate = (done - first) / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
            progress?.Report(new CollectionProgress(done - first, end - first, rate, TimeSpan.FromSeconds((end - done) / rate)));
        }
        return new RelevanceTables(options, tables.ToDictionary(kv => kv.Key, kv =>
        {
            (float[] values, long[] idx, int[] positions) = kv.Value.ToSortedArrays();
            return new TopKArrays(kv.Value.K, kv.Value.Neurons, values, idx, positions);
        }), watch.Elapsed);
    }

    /// <summary>Per input and channel of <paramref name="relevance"/> [N, C, …]: the sum over positions and the first
    /// flat position of the largest relevance (0 for [N, C]).</summary>
    public static (float[] Sums, int[] Argmax) ChannelSums(Tensor relevance)
    {
        ArgumentNullException.ThrowIfNull(relevance);
        int n = relevance.Dim(0), c = relevance.Rank > 1 ? relevance.Dim(1) : 1, inner = relevance.Length / Math.Max(1, n * c);
        var sums = new float[n * c];
        var argmax = new int[n * c];
        ReadOnlySpan<float> data = relevance.Data;
        for (int i = 0; i < n * c; i++)
        {
            ReadOnlySpan<float> map = data.Slice(i * inner, inner);
            sums[i] = (float)Elementwise.Sum(map);
            argmax[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(map);
        }
        return (sums, argmax);
    }

    private static void Offer(Dictionary<string, TopKTable> tables, string layer, Tensor relevance, int start, int k)
    {
        (float[] sums, int[] argmax) = ChannelSums(relevance);
        int n = relevance.Dim(0), c = sums.Length / n;
        if (!tables.TryGetValue(layer, out TopKTable? table)) tables[layer] = table = new TopKTable(c, k);
        Parallel.For(0, c, ch =>
        {
            for (int i = 0; i < n; i++)
                if (float.IsFinite(sums[i * c + ch])) table.Offer(ch, sums[i * c + ch], start + i, argmax[i * c + ch]);
        });
    }

    /// <summary>Writes a layer's relevance table as top_rel_{indices,values,positions}.npy into <paramref name="dir"/>;
    /// returns the file names written (empty when the layer has no table).</summary>
    public static IReadOnlyList<string> WriteLayer(RelevanceTables? tables, string layer, string dir)
    {
        if (tables is null || !tables.Layers.TryGetValue(layer, out TopKArrays? t)) return [];
        Npy.WriteInt64(Path.Combine(dir, Prefix + "_indices.npy"), t.Indices, [t.K, t.Neurons]);
        Npy.Write(Path.Combine(dir, Prefix + "_values.npy"), Tensor.FromArray(t.Values, t.K, t.Neurons));
        Npy.WriteInt32(Path.Combine(dir, Prefix + "_positions.npy"), t.Positions, [t.K, t.Neurons]);
        return [Prefix + "_indices.npy", Prefix + "_values.npy", Prefix + "_positions.npy"];
    }
}
