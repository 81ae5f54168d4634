// One characteristic example inside an EmbedRecord (A. Foote 2024, arXiv 2411.08166, §3.1: input and key token).

namespace Unravel.Atlas.Methods;

/// <summary>A characteristic example of a neuron.</summary>
/// <param name="Input">Dataset index of the token window.</param>
/// <param name="Position">The key token: where the neuron peaks on the window.</param>
/// <param name="Activation">The neuron's activation there.</param>
/// <param name="Cluster">The feature cluster it belongs to.</param>
/// <param name="Tag">Part-of-speech tag of the key token (Brown data), or null.</param>
public sealed record EmbedExampleRecord(long Input, int Position, float Activation, int Cluster, string? Tag);
