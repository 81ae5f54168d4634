// Progress of a collection pass, reported after each batch.

namespace Unravel.Interpret.Collection;

/// <summary>Inputs done so far, of how many, the rate, and the estimated time left.</summary>
public readonly record struct CollectionProgress(int Done, int Total, double ItemsPerSecond, TimeSpan Eta);
