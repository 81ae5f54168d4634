// The per-neuron record of neuron embeddings (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings",
// arXiv 2411.08166, §3-4): what methods/embed/<layer>/neuron_<i>.json holds besides the provenance envelope.

namespace Unravel.Atlas.Methods;

/// <summary>The feature clusters of one transformer MLP neuron from its neuron embeddings.</summary>
/// <param name="Variant">Which pre-MLP vector and weights make e = h ⊙ w ("tl", "hf" or "resid").</param>
/// <param name="Selection">How the examples were chosen ("first-over-threshold" or "top-k").</param>
/// <param name="Ratio">The threshold ratio of the first-over-threshold rule.</param>
/// <param name="Threshold">Cosine distance at which the clusters stop merging.</param>
/// <param name="Maximum">The neuron's maximum activation over the atlas's windows.</param>
/// <param name="Exact">False when the memory bound of the example pass could have changed the examples.</param>
/// <param name="Examples">The characteristic examples, in clustering order.</param>
/// <param name="Linkage">SciPy linkage rows [a, b, height, size] of the average-linkage tree over <paramref name="Examples"/>.</param>
/// <param name="Clusters">The flat clusters at <paramref name="Threshold"/>.</param>
/// <param name="MaxDist">Largest cosine distance between two examples' embeddings.</param>
/// <param name="MeanDist">Mean cosine distance over pairs.</param>
/// <param name="Intra">Mean distance over pairs in the same cluster, or null when every cluster is a singleton.</param>
/// <param name="Inter">Mean distance over pairs in different clusters, or null with one cluster.</param>
/// <param name="Raw">The same metrics for the raw pre-MLP vectors h (the paper's baseline).</param>
/// <param name="Ari">Adjusted Rand index of the clusters against the key tokens' part-of-speech tags (Brown data), or null.</param>
/// <param name="Nmi">Normalized mutual information against the same tags, or null.</param>
public sealed record EmbedRecord(string Variant, string Selection, double Ratio, double Threshold, double Maximum, bool Exact,
    EmbedExampleRecord[] Examples, double[][] Linkage, EmbedClusterRecord[] Clusters, double MaxDist, double MeanDist, double? Intra,
    double? Inter, EmbedMetricsRecord Raw, double? Ari, double? Nmi);
