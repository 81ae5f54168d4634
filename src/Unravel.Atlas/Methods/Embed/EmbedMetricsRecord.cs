// Polysemanticity metrics of a set of vectors inside an EmbedRecord (A. Foote 2024, arXiv 2411.08166, §3.3.1).

namespace Unravel.Atlas.Methods;

/// <summary>Cluster count and distances.</summary>
/// <param name="Clusters">Flat clusters at the threshold.</param>
/// <param name="MaxDist">Largest pairwise cosine distance.</param>
/// <param name="MeanDist">Mean pairwise cosine distance.</param>
/// <param name="Intra">Mean distance within clusters, or null.</param>
/// <param name="Inter">Mean distance between clusters, or null.</param>
public sealed record EmbedMetricsRecord(int Clusters, double MaxDist, double MeanDist, double? Intra, double? Inter);
