// k-means clustering: Lloyd iterations with k-means++ initialisation and restarts, following scikit-learn 1.2
// (sklearn/cluster/_kmeans.py: `_kmeans_single_lloyd`, `_kmeans_plusplus`; `_k_means_common.pyx`:
// `_relocate_empty_clusters_dense`). k-means++: Arthur & Vassilvitskii 2007, "k-means++: the advantages of careful
// seeding", with scikit-learn's greedy variant (2 + ⌊ln k⌋ candidates per step, keep the best).

using Unravel.Tensors;

namespace Unravel.Interpret.Clustering;

/// <summary>k-means clustering (Lloyd's algorithm).</summary>
public static class KMeans
{
    private const string Op = "kmeans";

    /// <summary>Clusters the rows of <paramref name="data"/> [N, D] into <see cref="KMeansOptions.K"/> groups.</summary>
    /// <remarks>Effectively computes <c>sklearn.cluster.KMeans(n_clusters=K, n_init=Restarts, max_iter, tol,
    /// algorithm='lloyd').fit(data)</c>: all arithmetic is float64 on mean-centred data; convergence is an unchanged
    /// assignment or a summed squared centroid shift ≤ tol·mean(var(data)); an empty cluster is moved to the sample
    /// farthest from its centroid. With <see cref="KMeansOptions.InitialCentroids"/> the result matches scikit-learn's
    /// <c>init=array, n_init=1</c>; with k-means++ the seeds differ from scikit-learn's (another RNG).</remarks>
    /// <exception cref="ArgumentException">N or D is 0; non-finite data; K &lt; 1 or K &gt; N; Restarts or
    /// MaxIterations &lt; 1; a negative or NaN tolerance; initial centroids not [K, D] or non-finite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static KMeansResult Fit(float[,] data, KMeansOptions options, CancellationToken cancellationToken = default) =>
        Fit(DataMatrix.From(data, Op), options, cancellationToken);

    /// <summary>Clusters the rows of a row-major [rows, cols] matrix.</summary>
    /// <inheritdoc cref="Fit(float[,], KMeansOptions, CancellationToken)"/>
    public static KMeansResult Fit(ReadOnlySpan<float> data, int rows, int cols, KMeansOptions options,
        CancellationToken cancellationToken = default) =>
        Fit(DataMatrix.From(data, rows, cols, Op), options, cancellationToken);

    private static KMeansResult Fit(DataMatrix x, KMeansOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        int n = x.Rows, d = x.Cols, k = options.K;
        if (k < 1 || k > n)
            throw new ArgumentException($"{Op}: K = {k} but data {x.ShapeString} has {n} samples (need 1 ≤ K ≤ N).", nameof(options));
        if (options.Restarts < 1)
            throw new ArgumentException($"{Op}: Restarts = {options.Restarts}; at least 1 is needed.", nameof(options));
        if (options.MaxIterations < 1)
            throw new ArgumentException($"{Op}: MaxIterations = {options.MaxIterations}; at least 1 is needed.", nameof(options));
        if (!(options.Tolerance >= 0))
            throw new ArgumentException($"{Op}: Tolerance = {options.Tolerance}; it must be ≥ 0.", nameof(options));
        DataMatrix? init = null;
        if (options.InitialCentroids is { } ic)
        {
            init = DataMatrix.From(ic, Op, "InitialCentroids");
            if (init.Rows != k || init.Cols != d)
                throw new ArgumentException($"{Op}: InitialCentroids {init.ShapeString} must be [K, D] = [{k}, {d}] for data {x.ShapeString}.", nameof(options));
        }

        // Centre the data (and the given centroids) for more accurate distances, as scikit-learn does.
        double[] mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<double> row = x.Row(i);
            for (int j = 0; j < d; j++) mean[j] += row[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        double[] xs = new double[n * d];
        double varianceSum = 0;
        for (int j = 0; j < d; j++)
        {
            double v = 0;
            for (int i = 0; i < n; i++)
            {
                double t = x.Values[i * d + j] - mean[j];
                xs[i * d + j] = t;
                v += t * t;
            }
            varianceSum += v / n;
        }
        double tol = varianceSum / d * options.Tolerance;

        Run? best = null;
        if (init is not null)
        {
            double[] c0 = new double[k * d];
            for (int c = 0; c < k; c++)
                for (int j = 0; j < d; j++) c0[c * d + j] = init.Values[c * d + j] - mean[j];
            best = Lloyd(xs, n, d, k, c0, options.MaxIterations, tol, ct);
        }
        else
        {
            var rng = new Random(options.Seed);
            for (int r = 0; r < options.Restarts; r++)
            {
                double[] c0 = PlusPlus(xs, n, d, k, rng, ct);
                Run run = Lloyd(xs, n, d, k, c0, options.MaxIterations, tol, ct);
                if (best is null || run.Inertia < best.Inertia) best = run;
            }
        }

        var centroids = new float[k, d];
        for (int c = 0; c < k; c++)
            for (int j = 0; j < d; j++) centroids[c, j] = (float)(best!.Centers[c * d + j] + mean[j]);
        return new KMeansResult(best!.Labels, centroids, best.Inertia, best.Iterations);
    }

    private sealed record Run(int[] Labels, double[] Centers, double Inertia, int Iterations);

    // scikit-learn's _kmeans_single_lloyd.
    private static Run Lloyd(double[] xs, int n, int d, int k, double[] centers, int maxIter, double tol, CancellationToken ct)
    {
        var labels = new int[n];
        var labelsOld = new int[n];
        Array.Fill(labelsOld, -1);
        var centersNew = new double[k * d];
        var counts = new int[k];
        bool strict = false;
        int iter = 0;
        for (iter = 0; iter < maxIter; iter++)
        {
            ct.ThrowIfCancellationRequested();
            Assign(xs, n, d, k, centers, labels);
            UpdateCenters(xs, n, d, k, centers, labels, centersNew, counts);
            double shift = 0;
            for (int t = 0; t < k * d; t++)
            {
                double delta = centersNew[t] - centers[t];
                shift += delta * delta;
            }
            (centers, centersNew) = (centersNew, centers);
            if (labels.AsSpan().SequenceEqual(labelsOld))
            {
                strict = true;
                break;
            }
            if (shift <= tol) break;
            labels.CopyTo(labelsOld, 0);
        }
        // scikit-learn reports i + 1 for the iteration it stopped in, and max_iter when it ran out.
        int iterations = Math.Min(iter + 1, maxIter);
        if (!strict) Assign(xs, n, d, k, centers, labels);
        double inertia = 0;
        for (int i = 0; i < n; i++)
            inertia += Distances.SquaredEuclidean(xs.AsSpan(i * d, d), centers.AsSpan(labels[i] * d, d));
        return new Run(labels, centers, inertia, iterations);
    }

    /// <summary>Nearest centre of every sample (ties to the lower index).</summary>
    private static void Assign(double[] xs, int n, int d, int k, double[] centers, int[] labels)
    {
        Parallelism.For(n, 64, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                ReadOnlySpan<double> row = xs.AsSpan(i * d, d);
                int best = 0;
                double bestDist = double.PositiveInfinity;
                for (int c = 0; c < k; c++)
                {
                    double dist = Distances.SquaredEuclidean(row, centers.AsSpan(c * d, d));
                    if (dist < bestDist)
                    {
                        bestDist = dist;
                        best = c;
                    }
                }
                labels[i] = best;
            }
        });
    }

    // Cluster means; an empty cluster takes the sample farthest from its (old) centre, which leaves its own
    // cluster, as in scikit-learn's _relocate_empty_clusters_dense (labels are not changed until the next E-step).
    private static void UpdateCenters(double[] xs, int n, int d, int k, double[] centersOld, int[] labels,
        double[] centersNew, int[] counts)
    {
        Array.Clear(centersNew);
        Array.Clear(counts);
        for (int i = 0; i < n; i++)
        {
            int c = labels[i];
            counts[c]++;
            for (int j = 0; j < d; j++) centersNew[c * d + j] += xs[i * d + j];
        }
        int[] empty = Enumerable.Range(0, k).Where(c => counts[c] == 0).ToArray();
        if (empty.Length > 0)
        {
            var far = new double[n];
            for (int i = 0; i < n; i++)
                far[i] = Distances.SquaredEuclidean(xs.AsSpan(i * d, d), centersOld.AsSpan(labels[i] * d, d));
            int[] farthest = Enumerable.Range(0, n).OrderByDescending(i => far[i]).ThenBy(i => i).Take(empty.Length).ToArray();
            for (int e = 0; e < empty.Length; e++)
            {
                int target = empty[e], i = farthest[e], old = labels[i];
                for (int j = 0; j < d; j++)
                {
                    centersNew[old * d + j] -= xs[i * d + j];
                    centersNew[target * d + j] = xs[i * d + j];
                }
                counts[target] = 1;
                counts[old]--;
            }
        }
        for (int c = 0; c < k; c++)
        {
            if (counts[c] == 0) continue;
            double inv = 1.0 / counts[c];
            for (int j = 0; j < d; j++) centersNew[c * d + j] *= inv;
        }
    }

    // scikit-learn's _kmeans_plusplus: the first centre uniformly at random; each next one is the best of
    // 2 + ⌊ln k⌋ candidates drawn with probability ∝ squared distance to the nearest chosen centre.
    private static double[] PlusPlus(double[] xs, int n, int d, int k, Random rng, CancellationToken ct)
    {
        var centers = new double[k * d];
        int trials = 2 + (int)Math.Log(k);
        int first = rng.Next(n);
        xs.AsSpan(first * d, d).CopyTo(centers.AsSpan(0, d));
        var closest = new double[n];
        for (int i = 0; i < n; i++) closest[i] = Distances.SquaredEuclidean(xs.AsSpan(i * d, d), xs.AsSpan(first * d, d));
        double pot = closest.Sum();
        var cumulative = new double[n];
        var candidateDist = new double[n];
        var bestDist = new double[n];
        for (int c = 1; c < k; c++)
        {
            ct.ThrowIfCancellationRequested();
            double running = 0;
            for (int i = 0; i < n; i++) cumulative[i] = running += closest[i];
            int bestCandidate = -1;
            double bestPot = double.PositiveInfinity;
            for (int t = 0; t < trials; t++)
            {
                double r = rng.NextDouble() * pot;
                // numpy searchsorted(side='left'): the first index whose cumulative sum is ≥ r, clipped to N − 1.
                int idx = Array.BinarySearch(cumulative, r);
                if (idx < 0) idx = ~idx;
                else while (idx > 0 && cumulative[idx - 1] == r) idx--;
                idx = Math.Min(idx, n - 1);
                double candidatePot = 0;
                for (int i = 0; i < n; i++)
                {
                    double dist = Math.Min(closest[i], Distances.SquaredEuclidean(xs.AsSpan(i * d, d), xs.AsSpan(idx * d, d)));
                    candidateDist[i] = dist;
                    candidatePot += dist;
                }
                if (candidatePot < bestPot)
                {
                    bestPot = candidatePot;
                    bestCandidate = idx;
                    candidateDist.CopyTo(bestDist, 0);
                }
            }
            pot = bestPot;
            bestDist.CopyTo(closest, 0);
            xs.AsSpan(bestCandidate * d, d).CopyTo(centers.AsSpan(c * d, d));
        }
        return centers;
    }
}
