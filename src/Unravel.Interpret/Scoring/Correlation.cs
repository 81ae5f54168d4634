// Pearson correlation, the simulation score of linear explanations (Oikarinen & Weng 2024, ICML, §4.1) and of Bills et
// al. 2023 ("Language models can explain neurons in language models", the ev_correlation_score, pooled over every
// token). A constant prediction or activation has no correlation; it scores 0 and is counted (the authors' results
// never hit this case).

namespace Unravel.Interpret.Scoring;

/// <summary>Pearson correlation in double precision.</summary>
public static class Correlation
{
    /// <summary>Pearson r of x and y; NaN when either is constant.</summary>
    /// <exception cref="ArgumentException">Different lengths.</exception>
    public static double Pearson(ReadOnlySpan<double> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"correlation: lengths {x.Length} and {y.Length} differ.", nameof(y));
        int n = x.Length;
        if (n < 2) return double.NaN;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++)
        {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++)
        {
            double a = x[i] - mx, b = y[i] - my;
            sxy += a * b;
            sxx += a * a;
            syy += b * b;
        }
        // A prediction that is constant up to rounding (for example a bias-only sum) has no correlation.
        if (!(sxx > 1e-24 * Math.Max(1, mx * mx) * n) || !(syy > 0)) return double.NaN;
        return Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1);
    }

    /// <summary>Pearson r, with 0 where it is undefined.</summary>
    public static double PearsonOrZero(ReadOnlySpan<double> x, ReadOnlySpan<float> y)
    {
        double r = Pearson(x, y);
        return double.IsNaN(r) ? 0 : r;
    }
}
