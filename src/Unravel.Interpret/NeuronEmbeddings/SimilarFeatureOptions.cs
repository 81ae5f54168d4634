// Options of the similar-features search (A. Foote 2024, arXiv 2411.08166, §4.1.1; the Feature Clusters viewer keeps
// the top 20 neighbours above a per-layer similarity threshold: layer 0 0.5, layers 1-2 0.2, 3-4 0.1, 5 and up 0.05).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>How many neighbours to keep and how similar they must be.</summary>
public sealed record SimilarFeatureOptions
{
    /// <summary>Neighbours kept per feature.</summary>
    public int Top { get; init; } = 20;

    /// <summary>Minimum cosine similarity by the querying feature's layer; layers past the end use the last entry.</summary>
    public IReadOnlyList<double> Thresholds { get; init; } = [0.5, 0.2, 0.2, 0.1, 0.1, 0.05];

    /// <summary>Search all given layers (true) or only the querying feature's own layer.</summary>
    public bool AcrossLayers { get; init; } = true;

    /// <summary>Allow the other clusters of the same neuron as neighbours.</summary>
    public bool SameNeuron { get; init; }

    /// <summary>The threshold for <paramref name="layer"/>.</summary>
    public double ThresholdOf(int layer) => Thresholds.Count == 0 ? double.NegativeInfinity : Thresholds[Math.Clamp(layer, 0, Thresholds.Count - 1)];
}
