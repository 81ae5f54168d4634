// The feature clusters of one neuron: average-linkage agglomerative clustering of its examples' vectors under cosine
// distance, cut at 0.5 (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166, §3.2).

using Unravel.Interpret.Clustering;

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Flat clusters, the full dendrogram, a central example per cluster and the metrics.</summary>
/// <param name="Labels">[n] cluster per example, 0 … k − 1 numbered by first appearance.</param>
/// <param name="Dendrogram">The full merge tree (SciPy layout).</param>
/// <param name="Central">[k] per cluster, the member with the lowest mean distance to the other members (ties: lowest
/// index; a singleton is its own centre).</param>
/// <param name="Sizes">[k] members per cluster.</param>
/// <param name="Metrics">MaxDist, MeanDist, cluster count, intra- and inter-cluster distance.</param>
public sealed record FeatureClusters(int[] Labels, Dendrogram Dendrogram, int[] Central, int[] Sizes, PolysemanticityMetrics Metrics);
