// A similar feature of a cluster inside an EmbedRecord (A. Foote 2024, arXiv 2411.08166, §4.1.1).

namespace Unravel.Atlas.Methods;

/// <summary>Cluster <paramref name="Cluster"/> of neuron <paramref name="Neuron"/> in <paramref name="Layer"/>.</summary>
/// <param name="Layer">Layer name as recorded in the atlas.</param>
/// <param name="Neuron">Neuron index.</param>
/// <param name="Cluster">Cluster index within that neuron.</param>
/// <param name="Similarity">Cosine similarity of the two central examples' neuron embeddings.</param>
public sealed record EmbedSimilarRecord(string Layer, int Neuron, int Cluster, double Similarity);
