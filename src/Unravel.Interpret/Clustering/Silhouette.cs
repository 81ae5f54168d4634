// Silhouette coefficient (Rousseeuw 1987, "Silhouettes: a graphical aid to the interpretation and validation of
// cluster analysis"), with scikit-learn's conventions (sklearn.metrics.silhouette_samples / silhouette_score).

using Unravel.Tensors;

namespace Unravel.Interpret.Clustering;

/// <summary>Silhouette coefficients of a flat clustering.</summary>
public static class Silhouette
{
    private const string Op = "silhouette";

    /// <summary>The mean silhouette coefficient over all samples.</summary>
    /// <remarks>Effectively computes <c>sklearn.metrics.silhouette_score(data, labels, metric)</c>.</remarks>
    /// <exception cref="ArgumentException">See <see cref="Samples"/>.</exception>
    public static double Score(float[,] data, ReadOnlySpan<int> labels, DistanceMetric metric = DistanceMetric.Euclidean,
        CancellationToken cancellationToken = default)
    {
        double[] s = Samples(data, labels, metric, cancellationToken);
        double sum = 0;
        foreach (double v in s) sum += v;
        return sum / s.Length;
    }

    /// <summary>The silhouette coefficient of each sample: s = (b − a) / max(a, b), with a the mean distance to the
    /// other members of its cluster and b the smallest mean distance to the members of another cluster.</summary>
    /// <remarks>Effectively computes <c>sklearn.metrics.silhouette_samples(data, labels, metric)</c>: a sample alone
    /// in its cluster gets 0. Distances are computed in float64, one row at a time (no N × N matrix).</remarks>
    /// <returns>Coefficients [N] in [−1, 1].</returns>
    /// <exception cref="ArgumentException">N or D is 0; non-finite data; labels not of length N; fewer than 2 or
    /// more than N − 1 distinct labels; a zero row under the cosine metric.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static double[] Samples(float[,] data, ReadOnlySpan<int> labels, DistanceMetric metric = DistanceMetric.Euclidean,
        CancellationToken cancellationToken = default)
    {
        DataMatrix x = DataMatrix.From(data, Op);
        int n = x.Rows;
        if (labels.Length != n)
            throw new ArgumentException($"{Op}: {labels.Length} labels for data {x.ShapeString}; need one per sample.", nameof(labels));
        int[] dense = AdjustedRand.Densify(labels, out int clusters);
        if (clusters < 2 || clusters > n - 1)
            throw new ArgumentException($"{Op}: {clusters} distinct labels for {n} samples; need 2 ≤ labels ≤ N − 1.", nameof(labels));
        if (!Enum.IsDefined(metric))
            throw new ArgumentException($"{Op}: unknown metric {(int)metric}.", nameof(metric));
        double[] norms = [];
        if (metric == DistanceMetric.Cosine)
        {
            x.ThrowIfZeroRow(Op);
            norms = new double[n];
            for (int i = 0; i < n; i++) norms[i] = Math.Sqrt(Distances.Dot(x.Row(i), x.Row(i)));
        }
        var sizes = new int[clusters];
        foreach (int c in dense) sizes[c]++;
        var result = new double[n];
        Parallelism.For(n, 8, (start, end) =>
        {
            var sums = new double[clusters];
            for (int i = start; i < end; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Array.Clear(sums);
                for (int j = 0; j < n; j++)
                {
                    if (j != i) sums[dense[j]] += Distances.Distance(x.Row(i), x.Row(j), metric, norms, i, j);
                }
                int own = dense[i];
                if (sizes[own] == 1)
                {
                    result[i] = 0;
                    continue;
                }
                double a = sums[own] / (sizes[own] - 1);
                double b = double.PositiveInfinity;
                for (int c = 0; c < clusters; c++)
                {
                    if (c != own) b = Math.Min(b, sums[c] / sizes[c]);
                }
                double denom = Math.Max(a, b);
                // All distances zero (duplicates): scikit-learn's 0/0 becomes 0 through nan_to_num.
                result[i] = denom > 0 ? (b - a) / denom : 0;
            }
        });
        return result;
    }
}
