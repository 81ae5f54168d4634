// Every length 0..257 (1..257 where a zero-length row has no meaning) with NaN, +Inf, -Inf and signed zeros planted in
// one row, for the kernels whose ordinary sweeps use finite random data only: LayerNorm, Sum/SumAxis, causal attention
// and the BatchNorm kernels. The references are plain double-precision loops, so the special values propagate by
// IEEE 754 arithmetic (as in PyTorch's CPU kernels: a NaN or an Inf in a normalised row makes the whole row NaN);
// TensorAssert treats NaN as equal to NaN and requires infinities to match exactly. Attention is defined, like
// PyTorch's unfused attention (scores, mask, softmax, then dense matrix products), with the products P·V, dY·Vᵀ, dS·K
// and dSᵀ·Q taken over the full T×T matrices whose entries above the diagonal are exact zeros: 0·Inf and 0·NaN are
// NaN, so a non-finite value, query, key or value also reaches the outputs of earlier positions, as it does in
// PyTorch. Its reference below spells that out; the finite sweeps' reference skips the masked entries.

using Unravel.Tensors.Kernels;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Kernels;

public sealed class SpecialValueSweepTests
{
    /// <summary>What is planted in the middle row: nothing, one NaN, one +Inf, one -Inf, +Inf and -Inf, or a row of
    /// alternating +0 and -0.</summary>
    public enum Plant { None, NaN, PositiveInfinity, NegativeInfinity, BothInfinities, SignedZeros }

    public static TheoryData<Plant> Plants => new(Enum.GetValues<Plant>());

    private static float[] Random(Random rng, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Plants <paramref name="plant"/> in row <paramref name="row"/> of a [rows, cols] array; the position moves
    /// with the length so every lane of the vector loops and the scalar tail is hit across the sweep.</summary>
    private static void PlantIn(float[] a, int row, int cols, Plant plant)
    {
        if (cols == 0) return;
        int at = row * cols + (cols * 7 + 3) % cols;
        switch (plant)
        {
            case Plant.NaN: a[at] = float.NaN; break;
            case Plant.PositiveInfinity: a[at] = float.PositiveInfinity; break;
            case Plant.NegativeInfinity: a[at] = float.NegativeInfinity; break;
            case Plant.BothInfinities:
                a[at] = float.PositiveInfinity;
                a[row * cols + (at - row * cols + cols / 2 + 1) % cols] = float.NegativeInfinity;
                break;
            case Plant.SignedZeros:
                for (int i = 0; i < cols; i++) a[row * cols + i] = i % 2 == 0 ? 0f : -0f;
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public void LayerNorm_ForwardAndBackward_Lengths1To257(Plant plant)
    {
        const int rows = 3;
        var rng = new Random(11 + (int)plant);
        for (int cols = 1; cols <= 257; cols++)
        {
            float[] x = Random(rng, rows * cols, 2f), w = Random(rng, cols), b = Random(rng, cols);
            PlantIn(x, 1, cols, plant);
            float[] y = new float[x.Length], mean = new float[rows], rstd = new float[rows];
            LayerNorm.Forward(x, w, b, y, mean, rstd, rows, cols, LayerNormKernelTests.Eps);
            (float[] yRef, float[] mRef, _) = LayerNormKernelTests.RefForward(x, w, b, rows, cols);
            TensorAssert.Close(yRef, y, 1e-5f, 1e-4f, $"{plant} cols {cols} y");
            TensorAssert.Close(mRef, mean, 1e-6f, 1e-5f, $"{plant} cols {cols} mean");

            float[] dy = Random(rng, rows * cols);
            PlantIn(dy, 2, cols, plant);
            float[] dx = new float[x.Length], dw = new float[cols], db = new float[cols];
            (float[] dxRef, float[] dwRef, float[] dbRef) = LayerNormKernelTests.RefBackward(dy, x, w, mean, rstd,
                dx, dw, db, rows, cols);
            LayerNorm.Backward(dy, x, w, mean, rstd, dx, dw, db, rows, cols);
            TensorAssert.Close(dxRef, dx, 1e-4f, 1e-3f, $"{plant} cols {cols} dx");
            TensorAssert.Close(dwRef, dw, 1e-4f, 1e-3f, $"{plant} cols {cols} dWeight");
            TensorAssert.Close(dbRef, db, 1e-5f, 1e-4f, $"{plant} cols {cols} dBias");
        }
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public void Sum_Lengths0To257(Plant plant)
    {
        var rng = new Random(21 + (int)plant);
        for (int n = 0; n <= 257; n++)
        {
            float[] x = Random(rng, n);
            PlantIn(x, 0, n, plant);
            double exact = 0;
            foreach (float v in x) exact += v;
            float got = Reductions.Sum(x);
            TensorAssert.Close([(float)exact], [got], 1e-5f + 1e-6f * n, 0f, $"{plant} n {n}");
        }
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public void SumAxis_ReducedLengths0To257(Plant plant)
    {
        const int outer = 2, inner = 3;
        var rng = new Random(31 + (int)plant);
        for (int n = 0; n <= 257; n++)
        {
            // Plant along the reduced axis of one (outer, inner) column: the [n] values at stride inner.
            float[] x = Random(rng, outer * n * inner), column = new float[n];
            for (int r = 0; r < n; r++) column[r] = x[(1 * n + r) * inner + 2];
            PlantIn(column, 0, n, plant);
            for (int r = 0; r < n; r++) x[(1 * n + r) * inner + 2] = column[r];
            var expected = new float[outer * inner];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    double s = 0;
                    for (int r = 0; r < n; r++) s += x[(o * n + r) * inner + i];
                    expected[o * inner + i] = (float)s;
                }
            var got = new float[outer * inner];
            Reductions.SumAxis(x, got, outer, n, inner);
            TensorAssert.Close(expected, got, 1e-4f, 1e-5f, $"{plant} n {n}");
        }
    }

    /// <summary>Causal attention of one batch element over packed [T, 3C] queries, keys and values in double: softmax
    /// over j ≤ i, then every product over all T positions with exact zeros above the diagonal.</summary>
    private static (float[] Y, float[] Dqkv) DenseAttention(float[] qkv, float[] dy, int t, int heads, int d)
    {
        int c = heads * d;
        double scale = 1 / Math.Sqrt(d);
        var y = new double[t * c];
        var dqkv = new double[qkv.Length];
        for (int h = 0; h < heads; h++)
        {
            double Q(int i, int e) => qkv[i * 3 * c + h * d + e];
            double K(int i, int e) => qkv[i * 3 * c + c + h * d + e];
            double V(int i, int e) => qkv[i * 3 * c + 2 * c + h * d + e];
            double G(int i, int e) => dy[i * c + h * d + e];
            var p = new double[t, t];
            var ds = new double[t, t];
            for (int i = 0; i < t; i++)
            {
                var s = new double[i + 1];
                for (int j = 0; j <= i; j++)
                    for (int e = 0; e < d; e++) s[j] += Q(i, e) * K(j, e) * scale;
                double max = s.Max(), sum = s.Sum(v => Math.Exp(v - max));
                for (int j = 0; j <= i; j++) p[i, j] = Math.Exp(s[j] - max) / sum;
            }
            for (int i = 0; i < t; i++)
            {
                var dp = new double[t];
                for (int j = 0; j < t; j++)
                    for (int e = 0; e < d; e++)
                    {
                        y[i * c + h * d + e] += p[i, j] * V(j, e);
                        dp[j] += G(i, e) * V(j, e);
                    }
                double dot = 0;
                for (int j = 0; j <= i; j++) dot += dp[j] * p[i, j];
                for (int j = 0; j <= i; j++) ds[i, j] = (dp[j] - dot) * p[i, j];
            }
            for (int i = 0; i < t; i++)
                for (int j = 0; j < t; j++)
                    for (int e = 0; e < d; e++)
                    {
                        dqkv[i * 3 * c + h * d + e] += ds[i, j] * K(j, e) * scale;          // dS·K
                        dqkv[j * 3 * c + c + h * d + e] += ds[i, j] * Q(i, e) * scale;      // dSᵀ·Q
                        dqkv[j * 3 * c + 2 * c + h * d + e] += p[i, j] * G(i, e);           // Pᵀ·dY
                    }
        }
        return (y.Select(v => (float)v).ToArray(), dqkv.Select(v => (float)v).ToArray());
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public void CausalAttention_SequenceLengths0To257(Plant plant)
    {
        const int heads = 2, headDim = 3, c = heads * headDim;
        var rng = new Random(41 + (int)plant);
        for (int t = 0; t <= 257; t++)
        {
            float[] qkv = Random(rng, t * 3 * c), dy = Random(rng, t * c);
            // One key (a row of the packed [T, 3C] array) carries the planted values: every later query sees it.
            if (t > 0) PlantIn(qkv, t / 2, 3 * c, plant);
            (float[] yRef, float[] dRef) = DenseAttention(qkv, dy, t, heads, headDim);
            float[] y = new float[t * c], lse = new float[heads * t], dqkv = new float[qkv.Length];
            CausalAttention.Forward(qkv, y, lse, default, 1, t, heads, headDim);
            TensorAssert.Close(yRef, y, 1e-5f, 1e-4f, $"{plant} T {t} y");
            CausalAttention.Backward(dy, qkv, lse, dqkv, 1, t, heads, headDim);
            TensorAssert.Close(dRef, dqkv, 1e-4f, 1e-3f, $"{plant} T {t} dqkv");
        }
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public void CausalAttention_HeadDims1To257(Plant plant)
    {
        const int t = 3;
        var rng = new Random(51 + (int)plant);
        for (int d = 1; d <= 257; d++)
        {
            float[] qkv = Random(rng, t * 3 * d), dy = Random(rng, t * d);
            PlantIn(qkv, 1, 3 * d, plant);
            (float[] yRef, float[] dRef) = DenseAttention(qkv, dy, t, 1, d);
            float[] y = new float[t * d], lse = new float[t], dqkv = new float[qkv.Length];
            CausalAttention.Forward(qkv, y, lse, default, 1, t, 1, d);
            TensorAssert.Close(yRef, y, 1e-5f, 1e-4f, $"{plant} D {d} y");
            CausalAttention.Backward(dy, qkv, lse, dqkv, 1, t, 1, d);
            TensorAssert.Close(dRef, dqkv, 1e-4f, 1e-3f, $"{plant} D {d} dqkv");
        }
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public void BatchNorm_StatisticsNormalizeBackward_PlaneSizes0To257(Plant plant)
    {
        const int n = 2, c = 3;
        var rng = new Random(61 + (int)plant);
        for (int hw = 0; hw <= 257; hw++)
        {
            float[] x = Random(rng, n * c * hw, 2f), dy = Random(rng, n * c * hw);
            PlantIn(x, 1 * c + 1, hw, plant);           // batch 1, channel 1
            PlantIn(dy, 0 * c + 2, hw, plant);          // batch 0, channel 2
            float[] weight = Random(rng, c), bias = Random(rng, c);

            float[] mean = new float[c], variance = new float[c];
            BatchNorm2dKernels.Statistics(x, mean, variance, n, c, hw, 0, c);
            double count = (double)n * hw;
            var mRef = new float[c];
            var vRef = new float[c];
            var rstd = new float[c];
            for (int ch = 0; ch < c; ch++)
            {
                double s = 0, q = 0;
                for (int b = 0; b < n; b++) for (int i = 0; i < hw; i++) s += x[(b * c + ch) * hw + i];
                double m = s / count;
                for (int b = 0; b < n; b++) for (int i = 0; i < hw; i++) q += (x[(b * c + ch) * hw + i] - m) * (x[(b * c + ch) * hw + i] - m);
                mRef[ch] = (float)m;
                vRef[ch] = (float)(q / count);
                rstd[ch] = (float)(1 / Math.Sqrt(vRef[ch] + 1e-5));
            }
            TensorAssert.Close(mRef, mean, 1e-6f, 1e-5f, $"{plant} HW {hw} mean");
            TensorAssert.Close(vRef, variance, 1e-5f, 1e-4f, $"{plant} HW {hw} variance");

            // Normalize with eval-style statistics taken from the finite channels' running values.
            float[] runMean = Random(rng, c), scale = new float[c], shift = new float[c];
            for (int ch = 0; ch < c; ch++)
            {
                scale[ch] = weight[ch] * 0.5f;
                shift[ch] = bias[ch] - runMean[ch] * scale[ch];
            }
            var y = new float[x.Length];
            BatchNorm2dKernels.Normalize(x, scale, shift, y, n, c, hw, 0, c);
            var yRef = new float[x.Length];
            for (int b = 0; b < n; b++)
                for (int ch = 0; ch < c; ch++)
                    for (int i = 0; i < hw; i++)
                    {
                        int k = (b * c + ch) * hw + i;
                        yRef[k] = x[k] * scale[ch] + shift[ch];
                    }
            Assert.Equal(yRef, y);   // one multiply and one add, each rounded: bit-identical to the scalar loop

            foreach (bool batchStatistics in new[] { false, true })
            {
                float[] dx = new float[x.Length], dw = new float[c], db = new float[c];
                BatchNorm2dKernels.Backward(dy, x, mean, rstd, weight, dx, dw, db, n, c, hw, batchStatistics, 0, c);
                var dxRef = new float[x.Length];
                var dwRef = new float[c];
                var dbRef = new float[c];
                for (int ch = 0; ch < c; ch++)
                {
                    double sumDy = 0, sumDyXhat = 0;
                    for (int b = 0; b < n; b++)
                        for (int i = 0; i < hw; i++)
                        {
                            int k = (b * c + ch) * hw + i;
                            sumDy += dy[k];
                            sumDyXhat += dy[k] * ((x[k] - (double)mean[ch]) * rstd[ch]);
                        }
                    dbRef[ch] = (float)sumDy;
                    dwRef[ch] = (float)sumDyXhat;
                    double meanDy = batchStatistics ? sumDy / count : 0, meanDyXhat = batchStatistics ? sumDyXhat / count : 0;
                    for (int b = 0; b < n; b++)
                        for (int i = 0; i < hw; i++)
                        {
                            int k = (b * c + ch) * hw + i;
                            double xhat = (x[k] - (double)mean[ch]) * rstd[ch];
                            dxRef[k] = (float)(weight[ch] * (double)rstd[ch] * (dy[k] - meanDy - xhat * meanDyXhat));
                        }
                }
                TensorAssert.Close(dxRef, dx, 1e-4f, 1e-3f, $"{plant} HW {hw} batch stats {batchStatistics} dx");
                TensorAssert.Close(dwRef, dw, 1e-4f, 1e-3f, $"{plant} HW {hw} dWeight");
                TensorAssert.Close(dbRef, db, 1e-5f, 1e-4f, $"{plant} HW {hw} dBias");
            }
        }
    }
}
