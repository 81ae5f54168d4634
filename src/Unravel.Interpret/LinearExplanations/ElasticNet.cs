// Stage A of linear explanations (Oikarinen & Weng 2024, ICML, §3 "sparse ranking"): an elastic-net regression of the
// standardised activation on the standardised concepts,
//   L(w, b) = (1/2N) Σ_i (wᵀx_i + b − y_i)² + λ₁‖w‖₁ + (λ₂/2)‖w‖²,
// whose weights only rank the concepts for the greedy search. The authors solve it with proximal SAGA (GLM-SAGA,
// Wong et al. 2021); we solve the same convex problem by cyclic coordinate descent in covariance form (Friedman,
// Hastie & Tibshirani 2010, "Regularization paths for GLMs via coordinate descent", §2.2), deterministic and exact,
// the objective scikit-learn's ElasticNet minimises with alpha = λ₁ + λ₂, l1_ratio = λ₁/(λ₁ + λ₂).

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Elastic-net linear regression by coordinate descent.</summary>
public static class ElasticNet
{
    /// <summary>The authors' L1 strength: glm_lambda 0.05 · α with α = 0.99 applied to 0.05/0.99.</summary>
    public const double DefaultL1 = 0.05;

    /// <summary>The authors' L2 strength: (0.05/0.99)·(1 − 0.99) ≈ 5.05e-4.</summary>
    public const double DefaultL2 = 0.05 / 0.99 * 0.01;

    /// <summary>Fits w and b on row-major x [n, m] and y [n].</summary>
    /// <remarks>Effectively computes argmin (1/2n)‖y − Xw − b‖² + l1‖w‖₁ + (l2/2)‖w‖² with an unpenalised intercept:
    /// columns and y are centred, the Gram matrix XᵀX of the centred columns is formed once, and coordinates are
    /// updated w_j ← S((X_jᵀr)/n + G_jj w_j / n, l1) / (G_jj/n + l2) until no weight moves by more than tol.</remarks>
    /// <exception cref="ArgumentException">Sizes do not match, or a strength is negative.</exception>
    public static (double[] Weights, double Bias) Fit(ReadOnlySpan<double> x, int n, int m, ReadOnlySpan<double> y,
        double l1 = DefaultL1, double l2 = DefaultL2, double tol = 1e-12, int maxSweeps = 100_000)
    {
        if (n < 1 || m < 0 || x.Length != (long)n * m || y.Length != n)
            throw new ArgumentException($"elastic net: x has {x.Length} values and y {y.Length} for [{n}, {m}].", nameof(x));
        if (l1 < 0 || l2 < 0) throw new ArgumentException($"elastic net: negative strength (l1 {l1}, l2 {l2}).", nameof(l1));
        var mean = new double[m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) mean[j] += x[i * m + j];
        for (int j = 0; j < m; j++) mean[j] /= n;
        double yMean = 0;
        for (int i = 0; i < n; i++) yMean += y[i];
        yMean /= n;
        var gram = new double[m * m];
        var xty = new double[m];
        var row = new double[m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++) row[j] = x[i * m + j] - mean[j];
            double yc = y[i] - yMean;
            for (int j = 0; j < m; j++)
            {
                xty[j] += row[j] * yc;
                for (int k = 0; k < m; k++) gram[j * m + k] += row[j] * row[k];
            }
        }
        double[] w = SolveCentered(gram, xty, m, n, l1, l2, tol, maxSweeps);
        double b = yMean;
        for (int j = 0; j < m; j++) b -= mean[j] * w[j];
        return (w, b);
    }

    /// <summary>Coordinate descent on centred data given G = XᵀX [m, m] and c = Xᵀy [m] (both of centred columns).</summary>
    /// <remarks>Keeps g = Xᵀ(y − Xw) = c − Gw up to date, so a sweep costs O(m) per coordinate plus O(m) per moved
    /// weight. A column with G_jj = 0 (constant on the data) keeps weight 0.</remarks>
    internal static double[] SolveCentered(ReadOnlySpan<double> gram, ReadOnlySpan<double> xty, int m, int n, double l1, double l2,
        double tol, int maxSweeps)
    {
        var w = new double[m];
        double[] g = xty.ToArray();
        for (int sweep = 0; sweep < maxSweeps; sweep++)
        {
            double maxDelta = 0;
            for (int j = 0; j < m; j++)
            {
                double gjj = gram[j * m + j] / n;
                if (!(gjj > 0)) continue;
                double z = g[j] / n + gjj * w[j];
                double updated = SoftThreshold(z, l1) / (gjj + l2);
                double d = updated - w[j];
                if (d == 0) continue;
                for (int k = 0; k < m; k++) g[k] -= gram[k * m + j] * d;
                w[j] = updated;
                maxDelta = Math.Max(maxDelta, Math.Abs(d));
            }
            if (maxDelta <= tol) break;
        }
        return w;
    }

    private static double SoftThreshold(double z, double t) => z > t ? z - t : z < -t ? z + t : 0;
}
