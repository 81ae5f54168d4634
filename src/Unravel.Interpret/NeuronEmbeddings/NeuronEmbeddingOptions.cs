// Options of the neuron-embedding analysis of one layer (A. Foote 2024, "Tackling Polysemanticity with Neuron
// Embeddings", arXiv 2411.08166, §3.2-3.3).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>How a layer's neuron embeddings are clustered and summarised.</summary>
public sealed record NeuronEmbeddingOptions
{
    /// <summary>Cosine distance at which clusters stop merging (the paper: 0.5).</summary>
    public double Threshold { get; init; } = NeuronClustering.DefaultThreshold;

    /// <summary>Also cluster the raw pre-MLP vectors h (the paper's Table 1 baseline).</summary>
    public bool CompareRaw { get; init; } = true;
}
