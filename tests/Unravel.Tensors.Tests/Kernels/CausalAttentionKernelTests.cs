using Unravel.Tensors.Kernels;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Kernels;

public sealed class CausalAttentionKernelTests
{
    private static float[] Random(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    // Naive double-precision attention with explicit loops: forward y and probs, and the backward of L = Σ y·dy.
    internal static (float[] Y, float[] P, float[] Dqkv) Reference(float[] qkv, float[] dy, int b, int t, int h, int d)
    {
        int c = h * d;
        var y = new float[b * t * c];
        var probs = new float[b * h * t * t];
        var dqkv = new double[qkv.Length];
        double scale = 1 / Math.Sqrt(d);
        double Q(int bb, int i, int hh, int e) => qkv[(bb * t + i) * 3 * c + hh * d + e];
        double K(int bb, int j, int hh, int e) => qkv[(bb * t + j) * 3 * c + c + hh * d + e];
        double V(int bb, int j, int hh, int e) => qkv[(bb * t + j) * 3 * c + 2 * c + hh * d + e];
        for (int bb = 0; bb < b; bb++)
            for (int hh = 0; hh < h; hh++)
                for (int i = 0; i < t; i++)
                {
                    var s = new double[i + 1];
                    for (int j = 0; j <= i; j++)
                        for (int e = 0; e < d; e++) s[j] += Q(bb, i, hh, e) * K(bb, j, hh, e) * scale;
                    double max = s.Max(), sum = s.Sum(v => Math.Exp(v - max));
                    var p = s.Select(v => Math.Exp(v - max) / sum).ToArray();
                    var dp = new double[i + 1];
                    for (int j = 0; j <= i; j++)
                    {
                        probs[((bb * h + hh) * t + i) * t + j] = (float)p[j];
                        for (int e = 0; e < d; e++)
                        {
                            double g = dy[(bb * t + i) * c + hh * d + e];
                            y[(bb * t + i) * c + hh * d + e] += (float)(p[j] * V(bb, j, hh, e));
                            dp[j] += g * V(bb, j, hh, e);
                            dqkv[(bb * t + j) * 3 * c + 2 * c + hh * d + e] += p[j] * g;
                        }
                    }
                    double dot = 0;
                    for (int j = 0; j <= i; j++) dot += p[j] * dp[j];
                    for (int j = 0; j <= i; j++)
                    {
                        double ds = p[j] * (dp[j] - dot) * scale;
                        for (int e = 0; e < d; e++)
                        {
                            dqkv[(bb * t + i) * 3 * c + hh * d + e] += ds * K(bb, j, hh, e);
                            dqkv[(bb * t + j) * 3 * c + c + hh * d + e] += ds * Q(bb, i, hh, e);
                        }
                    }
                }
        return (y, probs, dqkv.Select(v => (float)v).ToArray());
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(1, 2, 1, 3)]
    [InlineData(2, 17, 3, 5)]
    [InlineData(1, 40, 2, 4)]
    [InlineData(3, 9, 4, 1)]
    public void ForwardAndBackward_MatchNaiveLoops(int b, int t, int h, int d)
    {
        var rng = new Random(7);
        int c = h * d;
        float[] qkv = Random(rng, b * t * 3 * c), dy = Random(rng, b * t * c);
        (float[] yRef, float[] pRef, float[] dRef) = Reference(qkv, dy, b, t, h, d);

        var y = new float[b * t * c];
        var lse = new float[b * h * t];
        var probs = new float[b * h * t * t];
        CausalAttention.Forward(qkv, y, lse, probs, b, t, h, d);
        TensorAssert.Close(yRef, y, 1e-5f, 1e-4f, "y");
        TensorAssert.Close(pRef, probs, 1e-6f, 1e-5f, "probs");

        var y2 = new float[y.Length];
        CausalAttention.Forward(qkv, y2, lse, default, b, t, h, d);   // without stored probabilities
        Assert.Equal(y, y2);

        float[] dqkv = Random(rng, qkv.Length), start = (float[])dqkv.Clone();
        CausalAttention.Backward(dy, qkv, lse, dqkv, b, t, h, d);
        for (int i = 0; i < dqkv.Length; i++) dqkv[i] -= start[i];          // accumulates on top of what was there
        TensorAssert.Close(dRef, dqkv, 1e-4f, 1e-3f, "dqkv");
    }

    [Fact]
    public void Forward_ShortSpan_Throws()
    {
        Assert.Throws<ArgumentException>(() => CausalAttention.Forward(new float[2 * 3 * 12 - 1], new float[2 * 3 * 4], new float[2 * 2 * 3], default, 2, 3, 2, 2));
        Assert.Throws<ArgumentException>(() => CausalAttention.Forward(new float[2 * 3 * 12], new float[2 * 3 * 4], new float[2 * 2 * 3], new float[5], 2, 3, 2, 2));
    }
}
