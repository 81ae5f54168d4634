// The outcome of one collection pass.

namespace Unravel.Interpret.Collection;

/// <summary>Per-layer statistics (in request order) with the pass's size and timing.</summary>
public sealed record CollectionResult(IReadOnlyList<LayerStatisticsResult> Layers, int Inputs, int BatchSize, TimeSpan Elapsed, TimeSpan ForwardTime)
{
    /// <summary>Dataset index of the first input collected (a shard's start; 0 otherwise).</summary>
    public int FirstInput { get; init; }

    /// <summary>The exact accumulators; AtlasWriter saves them as state.bin when set (shards, for `unravel merge`).</summary>
    public CollectionState? State { get; init; }

    /// <summary>Relevance-ranked references (<see cref="RelevanceRanking"/>); AtlasWriter writes them as top_rel_* when set.</summary>
    public RelevanceTables? Relevance { get; init; }
}
