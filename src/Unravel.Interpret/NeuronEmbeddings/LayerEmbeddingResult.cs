// The neuron-embedding analysis of one MLP layer (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings",
// arXiv 2411.08166, §3.2-3.3, Table 1).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Per-neuron clusters and the layer's summaries.</summary>
/// <param name="Layer">Block index.</param>
/// <param name="Variant">Which h and w.</param>
/// <param name="Selection">How the examples were chosen.</param>
/// <param name="Threshold">The cut.</param>
/// <param name="Neurons">Neurons with at least two examples, in neuron order.</param>
/// <param name="TooFewExamples">Analysed neurons with fewer than two examples (metrics undefined), reported apart.</param>
/// <param name="Summary">Aggregates over <paramref name="Neurons"/> for the neuron embeddings.</param>
/// <param name="RawSummary">The same for the raw pre-MLP vectors, or null.</param>
public sealed record LayerEmbeddingResult(int Layer, EmbeddingVariant Variant, ExampleSelection Selection, double Threshold,
    IReadOnlyList<NeuronEmbeddingResult> Neurons, int[] TooFewExamples, PolysemanticitySummary Summary, PolysemanticitySummary? RawSummary);
