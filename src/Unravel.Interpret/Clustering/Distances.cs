// Pairwise distances between samples, in float64, with SciPy's pdist formulas
// (https://docs.scipy.org/doc/scipy/reference/generated/scipy.spatial.distance.pdist.html).

using System.Numerics;
using System.Numerics.Tensors;

namespace Unravel.Interpret.Clustering;

/// <summary>Pairwise Euclidean and cosine distances between the rows of an [N, D] matrix.</summary>
public static class Distances
{
    /// <summary>Euclidean distances between all rows of <paramref name="data"/> [N, D].</summary>
    /// <returns>A symmetric [N, N] matrix with a zero diagonal.</returns>
    /// <exception cref="ArgumentException">N or D is 0, or the data holds NaN or ±Inf.</exception>
    public static double[,] Euclidean(float[,] data) => Pairwise(data, DistanceMetric.Euclidean);

    /// <summary>Cosine distances 1 − u·v / (‖u‖ ‖v‖) between all rows of <paramref name="data"/> [N, D].</summary>
    /// <returns>A symmetric [N, N] matrix with a zero diagonal and values in [0, 2].</returns>
    /// <exception cref="ArgumentException">N or D is 0, the data holds NaN or ±Inf, or a row is all zeros.</exception>
    public static double[,] Cosine(float[,] data) => Pairwise(data, DistanceMetric.Cosine);

    /// <summary>Distances between all rows of <paramref name="data"/> [N, D] under <paramref name="metric"/>.</summary>
    /// <exception cref="ArgumentException">See <see cref="Euclidean"/> and <see cref="Cosine"/>.</exception>
    public static double[,] Pairwise(float[,] data, DistanceMetric metric)
    {
        DataMatrix x = DataMatrix.From(data, "distances");
        double[] condensed = Condensed(x, metric, "distances");
        int n = x.Rows;
        var d = new double[n, n];
        for (int i = 0, k = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++, k++)
            {
                d[i, j] = condensed[k];
                d[j, i] = condensed[k];
            }
        }
        return d;
    }

    /// <summary>Index of pair (i, j), i &lt; j, in a condensed (upper-triangle, row-major) distance vector.</summary>
    internal static int CondensedIndex(int n, int i, int j)
    {
        if (i > j) (i, j) = (j, i);
        return (int)((long)n * i - (long)i * (i + 1) / 2 + j - i - 1);
    }

    /// <summary>SciPy's condensed distance vector: d(0,1), d(0,2), …, d(0,N−1), d(1,2), ….</summary>
    internal static double[] Condensed(DataMatrix x, DistanceMetric metric, string op)
    {
        int n = x.Rows;
        long count = (long)n * (n - 1) / 2;
        if (count > Array.MaxLength)
            throw new ArgumentException($"{op}: data {x.ShapeString} has too many samples for a pairwise distance matrix.", "data");
        double[] norms = [];
        if (metric == DistanceMetric.Cosine)
        {
            x.ThrowIfZeroRow(op);
            norms = new double[n];
            for (int i = 0; i < n; i++) norms[i] = Math.Sqrt(Dot(x.Row(i), x.Row(i)));
        }
        var d = new double[count];
        Unravel.Tensors.Parallelism.For(n, 16, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                int k = CondensedIndex(n, i, i + 1);
                for (int j = i + 1; j < n; j++, k++)
                    d[k] = Distance(x.Row(i), x.Row(j), metric, norms, i, j);
            }
        });
        return d;
    }

    internal static double Distance(ReadOnlySpan<double> u, ReadOnlySpan<double> v, DistanceMetric metric,
        double[] norms, int i, int j)
    {
        if (metric == DistanceMetric.Euclidean) return TensorPrimitives.Distance(u, v);
        // SciPy clamps the cosine to [-1, 1] before 1 − cos, so the distance stays in [0, 2].
        double c = Dot(u, v) / (norms[i] * norms[j]);
        return 1.0 - Math.Clamp(c, -1.0, 1.0);
    }

    internal static double SquaredEuclidean(ReadOnlySpan<double> u, ReadOnlySpan<double> v)
    {
        double s = 0;
        int k = 0;
        if (Vector.IsHardwareAccelerated && u.Length >= Vector<double>.Count)
        {
            var acc = Vector<double>.Zero;
            for (; k <= u.Length - Vector<double>.Count; k += Vector<double>.Count)
            {
                Vector<double> t = new Vector<double>(u[k..]) - new Vector<double>(v[k..]);
                acc += t * t;
            }
            s = Vector.Sum(acc);
        }
        for (; k < u.Length; k++)
        {
            double t = u[k] - v[k];
            s += t * t;
        }
        return s;
    }

    internal static double Dot(ReadOnlySpan<double> u, ReadOnlySpan<double> v) => TensorPrimitives.Dot(u, v);
}
