// The feature clusters of one neuron from its neuron embeddings, and from its raw pre-MLP vectors for comparison
// (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166, §3.2, Table 1).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>One neuron's clusters.</summary>
/// <param name="Neuron">Neuron index.</param>
/// <param name="Examples">Its characteristic examples (rows of the clustering).</param>
/// <param name="Clusters">Clusters of the neuron embeddings e = h ⊙ w.</param>
/// <param name="Raw">Clusters of the raw pre-MLP vectors h, or null when not compared.</param>
public sealed record NeuronEmbeddingResult(int Neuron, CharacteristicExample[] Examples, FeatureClusters Clusters, FeatureClusters? Raw);
