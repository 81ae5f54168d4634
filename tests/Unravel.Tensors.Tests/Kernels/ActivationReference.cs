// Plain scalar double-precision references for the activation kernels. erfc is computed independently of the
// kernel's rational fit: a Taylor series for erf below 3 and a continued fraction (A&S 7.1.14) above, which agree
// with a libm erfc to about 1e-9 relative on [-20, 20].

namespace Unravel.Tensors.Tests.Kernels;

internal static class ActivationReference
{
    private const double Beta = 0.79788456080286536;   // √(2/π)
    private const double Kappa = 0.044715;

    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < 0) return 2.0 - Erfc(-x);
        if (x < 3.0)
        {
            double sum = 0, term = x;
            for (int n = 0; n < 80; n++)
            {
                sum += term / (2 * n + 1);
                term *= -x * x / (n + 1);
            }
            return 1.0 - 2.0 / Math.Sqrt(Math.PI) * sum;
        }
        if (double.IsPositiveInfinity(x)) return 0;
        double f = x;
        for (int k = 80; k >= 1; k--) f = x + k / 2.0 / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2.0));

    public static double Relu(double x) => x < 0 ? 0 : x;

    /// <summary>PyTorch's subgradient: 0 at x ≤ 0, dy passes for x &gt; 0 and for NaN.</summary>
    public static double ReluGrad(double x) => x <= 0 ? 0 : 1;

    public static double GeluErf(double x) => x * NormalCdf(x);

    public static double GeluErfGrad(double x) => NormalCdf(x) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Beta * (x + Kappa * x * x * x)));

    public static double GeluTanhGrad(double x)
    {
        double t = Math.Tanh(Beta * (x + Kappa * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Beta * (1 + 3 * Kappa * x * x);
    }

    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>Sigmoid gradient from the output y.</summary>
    public static double SigmoidGradFromOutput(double y) => y * (1 - y);

    /// <summary>Tanh gradient from the output y.</summary>
    public static double TanhGradFromOutput(double y) => 1 - y * y;
}
