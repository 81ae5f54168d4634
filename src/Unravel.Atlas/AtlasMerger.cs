// Merges shard atlases (`unravel collect --shard i/n`) into the atlas one pass over all their inputs gives, from the
// exact accumulators each shard saved as state.bin. What is exact: top-k tables (overall and per class; the total
// order value desc, input asc makes the kept set unique), counts, NaN/Inf counts, min, max, positive fractions,
// histograms (shards bin with the ranges of the dataset's first batch), random samples (bottom-k of a hash of
// (seed, input)), pooled vectors and the quantile samples drawn from them. Mean and std are combined with Chan et al.'s
// parallel formula in float64: equal to a single pass to float64 rounding, identical after the float32 cast in almost
// every case.

using System.Text.Json.Nodes;

namespace Unravel.Atlas;

/// <summary>Combines shard atlases.</summary>
public static class AtlasMerger
{
    private const string Hint = "merge the atlases of one `unravel collect --shard i/n` run, each once";

    /// <summary>Merges the states of <paramref name="shards"/> (any order) into one result; its State holds the merged
    /// accumulators (their Options are the collection options).</summary>
    /// <exception cref="ArgumentException">A shard has no state.bin, the shards collected different layers or options,
    /// or their input ranges overlap.</exception>
    /// <exception cref="InvalidDataException">A state file is damaged.</exception>
    public static CollectionResult Merge(IReadOnlyList<AtlasReader> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0) throw new ArgumentException("merge: no shard atlases given.", nameof(shards));
        var parts = new List<(int First, int End, CollectionState State, AtlasReader Atlas)>();
        foreach (AtlasReader shard in shards)
        {
            string file = shard.PathOf(AtlasWriter.StateFile);
            if (!File.Exists(file))
                throw new AtlasFormatException(shard.Root, $"merge: no {AtlasWriter.StateFile}; only atlases collected with --shard can be merged.", Hint);
            JsonNode? range = shard.Manifest["shard"];
            int first = range?["first"]?.GetValue<int>() ?? 0;
            int end = range?["end"]?.GetValue<int>() ?? first + shard.Inputs;
            parts.Add((first, end, CollectionState.Load(file), shard));
        }
        parts.Sort((a, b) => a.First.CompareTo(b.First));
        // A shard can be empty (more shards than batches); it has no layers and adds nothing.
        if (parts.Any(p => p.State.Layers.Count > 0)) parts.RemoveAll(p => p.State.Layers.Count == 0);
        for (int i = 1; i < parts.Count; i++)
            if (parts[i].First < parts[i - 1].End)
                throw new AnalysisException($"merge: {parts[i].Atlas.Root} (inputs {parts[i].First} … {parts[i].End - 1}) overlaps {parts[i - 1].Atlas.Root} (… {parts[i - 1].End - 1}).", Hint);

        IReadOnlyList<LayerStatistics> merged = parts[0].State.Layers;
        string[] names = [.. merged.Select(l => l.Name)];
        foreach ((_, _, CollectionState state, AtlasReader atlas) in parts.Skip(1))
        {
            if (!state.Layers.Select(l => l.Name).SequenceEqual(names))
                throw new AnalysisException($"merge: {atlas.Root} has layers {string.Join(", ", state.Layers.Select(l => l.Name))}, not {string.Join(", ", names)}.", Hint);
            for (int i = 0; i < names.Length; i++)
            {
                try
                {
                    merged[i].Merge(state.Layers[i]);
                }
                catch (AnalysisException e)
                {
                    throw new AnalysisException($"merge: {atlas.Root}: {e.Message}", e.Hint ?? Hint);
                }
            }
        }
        int inputs = parts.Sum(p => p.End - p.First);
        TimeSpan elapsed = TimeSpan.FromTicks(parts.Sum(p => p.State.Elapsed.Ticks));
        TimeSpan forward = TimeSpan.FromTicks(parts.Sum(p => p.State.ForwardTime.Ticks));
        int batch = shards[0].Manifest["options"]?["batch_size"]?.GetValue<int>() ?? 64;
        return new CollectionResult(merged.Select(l => l.ToResult()).ToList(), inputs, batch, elapsed, forward)
        {
            FirstInput = parts[0].First, State = new CollectionState("merged", parts[^1].End, elapsed, forward, merged),
        };
    }
}
