// Result of a k-means run.

namespace Unravel.Interpret.Clustering;

/// <summary>The best k-means run.</summary>
/// <param name="Labels">Cluster of each sample [N], in 0..K−1 (centroid index).</param>
/// <param name="Centroids">Cluster centres [K, D].</param>
/// <param name="Inertia">Sum of squared distances of samples to their centroid (float64).</param>
/// <param name="Iterations">Lloyd iterations of the best run (scikit-learn's <c>n_iter_</c>).</param>
public sealed record KMeansResult(int[] Labels, float[,] Centroids, double Inertia, int Iterations);
