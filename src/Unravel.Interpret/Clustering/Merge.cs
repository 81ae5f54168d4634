// One row of a SciPy linkage matrix.

namespace Unravel.Interpret.Clustering;

/// <summary>One merge of a <see cref="Dendrogram"/>, laid out as a row of a SciPy linkage matrix.</summary>
/// <param name="Left">The smaller id of the two merged clusters: ids below N are samples, id N + i is the cluster
/// formed by merge i.</param>
/// <param name="Right">The larger id of the two merged clusters.</param>
/// <param name="Height">The linkage distance between the two clusters when they merge.</param>
/// <param name="Size">The number of samples in the new cluster.</param>
public readonly record struct Merge(int Left, int Right, double Height, int Size);
