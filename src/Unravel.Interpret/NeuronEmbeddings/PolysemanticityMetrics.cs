// Geometric polysemanticity proxies of one neuron's set of embeddings (A. Foote 2024, "Tackling Polysemanticity with
// Neuron Embeddings", arXiv 2411.08166, §3.3.1 and Table 1), with d_ab = 1 − cos(e_a, e_b).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Distances within one neuron's examples and its flat clusters.</summary>
/// <param name="MaxDist">max over pairs a &lt; b of d_ab.</param>
/// <param name="MeanDist">mean over pairs a &lt; b of d_ab.</param>
/// <param name="Clusters">The number of flat clusters at the cut.</param>
/// <param name="Intra">Mean d_ab over pairs in the same cluster (pairs pooled); NaN when every cluster is a singleton.</param>
/// <param name="Inter">Mean d_ab over pairs in different clusters (pairs pooled); NaN with one cluster.</param>
public readonly record struct PolysemanticityMetrics(double MaxDist, double MeanDist, int Clusters, double Intra, double Inter);
