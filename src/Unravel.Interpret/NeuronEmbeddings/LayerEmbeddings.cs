// The neuron embeddings of the characteristic examples of (some) neurons of one MLP layer (A. Foote 2024,
// arXiv 2411.08166, §3.1).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Neuron embeddings of one layer.</summary>
/// <param name="Layer">Block index.</param>
/// <param name="Variant">Which h and w.</param>
/// <param name="Selection">How the examples were chosen.</param>
/// <param name="Neurons">Per analysed neuron, in increasing neuron order.</param>
public sealed record LayerEmbeddings(int Layer, EmbeddingVariant Variant, ExampleSelection Selection, IReadOnlyList<NeuronEmbeddingSet> Neurons);
