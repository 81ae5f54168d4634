// Slow matrix-form LRP references written from the rule formulas (zennit's definitions, spec §3.2): a layer is a list
// of connections (output j, input i, weight w_ij) plus a bias per output, and every rule is a double-precision sum over
// connections. Independent of the engine's modified-weight forwards and transposed ops.

namespace Unravel.Interpret.Tests.Attribution;

internal sealed record Connection(int Out, int In, double W);

internal sealed class SlowLayer(int inputs, int outputs, List<Connection> connections, double[] bias)
{
    public int Inputs { get; } = inputs;
    public int Outputs { get; } = outputs;
    public List<Connection> Connections { get; } = connections;

    /// <summary>Bias per output element (0 when the layer has none).</summary>
    public double[] Bias { get; } = bias;

    /// <summary>Dense [N, In] → [N, Out], weight [Out, In].</summary>
    public static SlowLayer Dense(int n, int inF, int outF, float[] w, float[]? b)
    {
        var list = new List<Connection>();
        var bias = new double[n * outF];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < outF; j++)
            {
                bias[r * outF + j] = b?[j] ?? 0;
                for (int i = 0; i < inF; i++) list.Add(new Connection(r * outF + j, r * inF + i, w[j * inF + i]));
            }
        return new SlowLayer(n * inF, n * outF, list, bias);
    }

    /// <summary>Conv [N, C, H, W] → [N, O, OH, OW], square kernel, weight [O, C, K, K], no groups.</summary>
    public static SlowLayer Conv(int n, int c, int h, int wd, int o, int k, int stride, int pad, float[] w, float[]? b)
    {
        int oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
        var list = new List<Connection>();
        var bias = new double[n * o * oh * ow];
        for (int r = 0; r < n; r++)
            for (int oc = 0; oc < o; oc++)
                for (int y = 0; y < oh; y++)
                    for (int xx = 0; xx < ow; xx++)
                    {
                        int j = ((r * o + oc) * oh + y) * ow + xx;
                        bias[j] = b?[oc] ?? 0;
                        for (int ic = 0; ic < c; ic++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int iy = y * stride - pad + ky, ix = xx * stride - pad + kx;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                    list.Add(new Connection(j, ((r * c + ic) * h + iy) * wd + ix, w[((oc * c + ic) * k + ky) * k + kx]));
                                }
                    }
        return new SlowLayer(n * c * h * wd, n * o * oh * ow, list, bias);
    }
}

internal static class SlowLrp
{
    private const double Eps = 1e-6;

    private static double Stab(double z, double eps = Eps) => z >= 0 ? z + eps : z - eps;

    private static double P(double v) => Math.Max(v, 0);

    private static double M(double v) => Math.Min(v, 0);

    /// <summary>R_i = Σ_j num_ij / stab(den_j) R_j with den_j = Σ_i num_ij + bias_j (num and bias given per rule).</summary>
    private static float[] Ratio(SlowLayer l, float[] r, Func<Connection, double> num, Func<int, double> bias, double eps = Eps)
    {
        var den = new double[l.Outputs];
        for (int j = 0; j < l.Outputs; j++) den[j] = bias(j);
        foreach (Connection c in l.Connections) den[c.Out] += num(c);
        var o = new double[l.Inputs];
        foreach (Connection c in l.Connections) o[c.In] += num(c) / Stab(den[c.Out], eps) * r[c.Out];
        return o.Select(v => (float)v).ToArray();
    }

    public static float[] Epsilon(SlowLayer l, float[] x, float[] r, double eps) =>
        Ratio(l, r, c => x[c.In] * c.W, j => l.Bias[j], eps);

    public static float[] ZPlus(SlowLayer l, float[] x, float[] r) =>
        Ratio(l, r, c => P(x[c.In]) * P(c.W) + M(x[c.In]) * M(c.W), j => P(l.Bias[j]));

    public static float[] AlphaBeta(SlowLayer l, float[] x, float[] r, double alpha, double beta)
    {
        float[] p = Ratio(l, r, c => P(x[c.In]) * P(c.W) + M(x[c.In]) * M(c.W), j => P(l.Bias[j]));
        float[] n = Ratio(l, r, c => P(x[c.In]) * M(c.W) + M(x[c.In]) * P(c.W), j => M(l.Bias[j]));
        return p.Zip(n, (a, b) => (float)(alpha * a - beta * b)).ToArray();
    }

    public static float[] Gamma(SlowLayer l, float[] x, float[] r, double g)
    {
        var z = new double[l.Outputs];
        for (int j = 0; j < l.Outputs; j++) z[j] = l.Bias[j];
        foreach (Connection c in l.Connections) z[c.Out] += x[c.In] * c.W;
        // z_j > 0: x⁺(w + γw⁺) + x⁻(w + γw⁻), bias b + γb⁺; z_j < 0: x⁺(w + γw⁻) + x⁻(w + γw⁺), bias b + γb⁻.
        float[] rp = r.Select((v, j) => z[j] > 0 ? v : 0f).ToArray();
        float[] rn = r.Select((v, j) => z[j] < 0 ? v : 0f).ToArray();
        float[] a = Ratio(l, rp, c => P(x[c.In]) * (c.W + g * P(c.W)) + M(x[c.In]) * (c.W + g * M(c.W)), j => l.Bias[j] + g * P(l.Bias[j]));
        float[] b = Ratio(l, rn, c => P(x[c.In]) * (c.W + g * M(c.W)) + M(x[c.In]) * (c.W + g * P(c.W)), j => l.Bias[j] + g * M(l.Bias[j]));
        return a.Zip(b, (u, v) => u + v).ToArray();
    }

    public static float[] Flat(SlowLayer l, float[] r) => Ratio(l, r, _ => 1.0, _ => 0.0);

    public static float[] WSquare(SlowLayer l, float[] r) => Ratio(l, r, c => c.W * c.W, j => l.Bias[j] * l.Bias[j]);

    public static float[] ZBox(SlowLayer l, float[] x, float[] r, double low, double high) =>
        Ratio(l, r, c => x[c.In] * c.W - low * P(c.W) - high * M(c.W), _ => 0.0);
}
