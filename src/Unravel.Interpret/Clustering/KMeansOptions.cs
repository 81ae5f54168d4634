// Options for k-means (names follow sklearn.cluster.KMeans: n_clusters, n_init, max_iter, tol, random_state, init).

namespace Unravel.Interpret.Clustering;

/// <summary>Options for <see cref="KMeans.Fit(float[,], KMeansOptions, CancellationToken)"/>.</summary>
public sealed record KMeansOptions
{
    /// <summary>The number of clusters k (scikit-learn's <c>n_clusters</c>).</summary>
    public int K { get; init; } = 8;

    /// <summary>Independent k-means++ runs; the one with the lowest inertia wins (scikit-learn's <c>n_init</c>).
    /// Ignored when <see cref="InitialCentroids"/> is given.</summary>
    public int Restarts { get; init; } = 10;

    /// <summary>Lloyd iterations per run (scikit-learn's <c>max_iter</c>).</summary>
    public int MaxIterations { get; init; } = 300;

    /// <summary>Relative tolerance: a run stops when the summed squared centroid shift is at most
    /// Tolerance × the mean per-feature variance of the data (scikit-learn's <c>tol</c>).</summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Seed for the k-means++ initialisation. Our generator is not NumPy's, so a seed does not reproduce
    /// scikit-learn's choice of initial centroids.</summary>
    public int Seed { get; init; }

    /// <summary>Optional initial centroids [K, D] (scikit-learn's <c>init=array</c>); one run starts from them.</summary>
    public float[,]? InitialCentroids { get; init; }
}
