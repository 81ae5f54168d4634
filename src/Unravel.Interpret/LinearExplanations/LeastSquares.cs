// The unpenalised refit of the greedy search (Oikarinen & Weng 2024, §3): ordinary least squares with an intercept on
// the raw concept columns of the current subset. The authors refit with 100 full-batch Adam steps (lr 0.3), which
// approaches this solution; the closed form is deterministic. Solved from the train moments by Cholesky on the centred
// normal equations; a column that is (numerically) a linear combination of earlier ones gets weight 0, which gives the
// same predictions as any other least-squares solution.

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Least squares with an intercept from sufficient statistics.</summary>
internal static class LeastSquares
{
    private const double PivotTolerance = 1e-9;

    /// <summary>Weights for <paramref name="columns"/> and the bias.</summary>
    /// <param name="gram">Raw PᵀP [m, m] over n rows.</param>
    /// <param name="sums">Column sums [m].</param>
    /// <param name="xty">Raw Pᵀq [m].</param>
    /// <param name="sumY">Σq.</param>
    /// <param name="n">Rows.</param>
    /// <param name="m">Concepts in the Gram matrix.</param>
    /// <param name="columns">The subset.</param>
    public static (double[] Weights, double Bias) Solve(ReadOnlySpan<double> gram, ReadOnlySpan<double> sums, ReadOnlySpan<double> xty, double sumY,
        int n, int m, ReadOnlySpan<int> columns)
    {
        int k = columns.Length;
        var a = new double[k * k];
        var r = new double[k];
        for (int i = 0; i < k; i++)
        {
            int ci = columns[i];
            double mi = sums[ci] / n;
            r[i] = xty[ci] - mi * sumY;
            for (int j = 0; j < k; j++) a[i * k + j] = gram[ci * m + columns[j]] - n * mi * (sums[columns[j]] / n);
        }
        var l = new double[k * k];
        var dropped = new bool[k];
        for (int j = 0; j < k; j++)
        {
            double s = a[j * k + j];
            for (int p = 0; p < j; p++) if (!dropped[p]) s -= l[j * k + p] * l[j * k + p];
            if (!(s > PivotTolerance * Math.Max(a[j * k + j], 1e-300)) || !(s > 1e-12))
            {
                dropped[j] = true;
                continue;
            }
            double d = Math.Sqrt(s);
            l[j * k + j] = d;
            for (int i = j + 1; i < k; i++)
            {
                double t = a[i * k + j];
                for (int p = 0; p < j; p++) if (!dropped[p]) t -= l[i * k + p] * l[j * k + p];
                l[i * k + j] = t / d;
            }
        }
        var z = new double[k];
        for (int i = 0; i < k; i++)
        {
            if (dropped[i]) continue;
            double t = r[i];
            for (int p = 0; p < i; p++) if (!dropped[p]) t -= l[i * k + p] * z[p];
            z[i] = t / l[i * k + i];
        }
        var w = new double[k];
        for (int i = k - 1; i >= 0; i--)
        {
            if (dropped[i]) continue;
            double t = z[i];
            for (int p = i + 1; p < k; p++) if (!dropped[p]) t -= l[p * k + i] * w[p];
            w[i] = t / l[i * k + i];
        }
        double b = sumY / n;
        for (int i = 0; i < k; i++) b -= w[i] * sums[columns[i]] / n;
        return (w, b);
    }
}
