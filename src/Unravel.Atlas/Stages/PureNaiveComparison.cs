// The naive PURE baseline timed against the one-pass circuits, when a request asks for it.

namespace Unravel.Atlas.Stages;

/// <summary>Naive (one full forward+backward per pair) vs the circuit pass.</summary>
/// <param name="Pairs">Pairs timed.</param>
/// <param name="SecondsPerPair">Naive time per pair.</param>
/// <param name="FastSecondsPerPair">Circuit-pass time per pair.</param>
/// <param name="Speedup">Their ratio.</param>
/// <param name="MaxAbsDiff">Largest difference between the two circuits.</param>
public sealed record PureNaiveComparison(int Pairs, double SecondsPerPair, double FastSecondsPerPair, double Speedup, double MaxAbsDiff);
