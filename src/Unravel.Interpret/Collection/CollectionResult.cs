// The outcome of one collection pass.

namespace Unravel.Interpret.Collection;

/// <summary>Per-layer statistics (in request order) with the pass's size and timing.</summary>
public sealed record CollectionResult(IReadOnlyList<LayerStatisticsResult> Layers, int Inputs, int BatchSize, TimeSpan Elapsed, TimeSpan ForwardTime);
