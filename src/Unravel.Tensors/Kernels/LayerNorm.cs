// Row-wise layer normalisation of a [rows, cols] matrix (Ba et al. 2016, https://arxiv.org/abs/1607.06450) and its
// backward, in the llm.c layernorm_forward/backward style: the forward keeps mean and rstd per row, the backward
// accumulates. Variance is biased (divides by cols) and uses two passes, like torch.nn.functional.layer_norm.

using System.Numerics.Tensors;

namespace Unravel.Tensors.Kernels;

/// <summary>Layer-norm kernels over the rows of a [rows, cols] matrix.</summary>
public static class LayerNorm
{
    /// <summary>Row-wise layer norm of a [rows, cols] matrix.</summary>
    /// <remarks>Effectively computes y[r, i] = (x[r, i] - mean[r]) · rstd[r] · weight[i] + bias[i] with
    /// rstd[r] = 1 / sqrt(var[r] + eps) (biased variance); mean and rstd are kept for <see cref="Backward"/>.
    /// An empty <paramref name="weight"/> means ones and an empty <paramref name="bias"/> zeros.
    /// <paramref name="y"/> may be <paramref name="x"/> itself (same start).</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or x and y partially overlap.</exception>
    public static unsafe void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> y, Span<float> mean, Span<float> rstd, int rows, int cols, float eps = 1e-5f)
    {
        const string Op = "LayerNorm.Forward";
        int n = LayerNormGuard.Extent(Op, rows, cols);
        LayerNormGuard.Length(Op, nameof(x), x.Length, n);
        LayerNormGuard.Length(Op, nameof(y), y.Length, n);
        LayerNormGuard.Optional(Op, nameof(weight), weight.Length, cols);
        LayerNormGuard.Optional(Op, nameof(bias), bias.Length, cols);
        LayerNormGuard.Length(Op, nameof(mean), mean.Length, rows);
        LayerNormGuard.Length(Op, nameof(rstd), rstd.Length, rows);
        if (x.Overlaps(y, out int offset) && offset != 0)
            throw new ArgumentException($"{Op}: x and y partially overlap (offset {offset}).", nameof(y));
        if (rows == 0) return;
        bool hasWeight = !weight.IsEmpty, hasBias = !bias.IsEmpty;
        fixed (float* px0 = x, pw0 = weight, pb0 = bias, py0 = y, pm0 = mean, pr0 = rstd)
        {
            float* px = px0, pw = pw0, pb = pb0, py = py0, pm = pm0, pr = pr0;
            Parallelism.For(rows, LayerNormGuard.MinRowsPerChunk(cols), (start, end) =>
            {
                var w = new ReadOnlySpan<float>(pw, hasWeight ? cols : 0);
                var b = new ReadOnlySpan<float>(pb, hasBias ? cols : 0);
                for (int r = start; r < end; r++)
                {
                    var xr = new ReadOnlySpan<float>(px + (long)r * cols, cols);
                    var yr = new Span<float>(py + (long)r * cols, cols);
                    float m = cols == 0 ? 0f : TensorPrimitives.Sum(xr) / cols;
                    TensorPrimitives.Subtract(xr, m, yr);
                    float variance = cols == 0 ? 0f : TensorPrimitives.SumOfSquares(yr) / cols;
                    float s = 1f / MathF.Sqrt(variance + eps);
                    pm[r] = m;
                    pr[r] = s;
                    TensorPrimitives.Multiply(yr, s, yr);
                    if (hasWeight && hasBias) TensorPrimitives.MultiplyAdd(yr, w, b, yr);
                    else if (hasWeight) TensorPrimitives.Multiply(yr, w, yr);
                    else if (hasBias) TensorPrimitives.Add(yr, b, yr);
                }
            });
        }
    }

    /// <summary>Backward of <see cref="Forward"/>; accumulates into <paramref name="dx"/>, <paramref name="dWeight"/>
    /// and <paramref name="dBias"/> (the caller zeroes them).</summary>
    /// <remarks>Effectively computes, with x̂ = (x - mean) · rstd and g = dy · weight:
    /// dx[r, i] += rstd[r] · (g[r, i] - mean_j g[r, j] - x̂[r, i] · mean_j (g[r, j] · x̂[r, j])),
    /// dWeight[i] += Σ_r dy[r, i] · x̂[r, i], dBias[i] += Σ_r dy[r, i].
    /// An empty <paramref name="weight"/> means ones; an empty dx, dWeight or dBias is skipped. The weight and bias
    /// sums run over column strips, each adding rows in order, so they do not depend on the thread count.</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or a gradient overlaps an input.</exception>
    public static unsafe void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx, Span<float> dWeight, Span<float> dBias, int rows, int cols)
    {
        const string Op = "LayerNorm.Backward";
        int n = LayerNormGuard.Extent(Op, rows, cols);
        LayerNormGuard.Length(Op, nameof(dy), dy.Length, n);
        LayerNormGuard.Length(Op, nameof(x), x.Length, n);
        LayerNormGuard.Optional(Op, nameof(weight), weight.Length, cols);
        LayerNormGuard.Length(Op, nameof(mean), mean.Length, rows);
        LayerNormGuard.Length(Op, nameof(rstd), rstd.Length, rows);
        LayerNormGuard.Optional(Op, nameof(dx), dx.Length, n);
        LayerNormGuard.Optional(Op, nameof(dWeight), dWeight.Length, cols);
        LayerNormGuard.Optional(Op, nameof(dBias), dBias.Length, cols);
        if (dx.Overlaps(dy) || dx.Overlaps(x) || dWeight.Overlaps(dy) || dBias.Overlaps(dy))
            throw new ArgumentException($"{Op}: a gradient output overlaps an input.");
        if (rows == 0 || cols == 0) return;
        bool hasWeight = !weight.IsEmpty;
        fixed (float* pdy0 = dy, px0 = x, pw0 = weight, pm0 = mean, pr0 = rstd, pdx0 = dx, pdw0 = dWeight, pdb0 = dBias)
        {
            float* pdy = pdy0, px = px0, pw = pw0, pm = pm0, pr = pr0, pdx = pdx0, pdw = pdw0, pdb = pdb0;
            if (!dx.IsEmpty)
            {
                Parallelism.For(rows, LayerNormGuard.MinRowsPerChunk(cols), (start, end) =>
                {
                    var xhat = new float[cols];
                    var g = new float[cols];
                    var w = new ReadOnlySpan<float>(pw, hasWeight ? cols : 0);
                    for (int r = start; r < end; r++)
                    {
                        var dyr = new ReadOnlySpan<float>(pdy + (long)r * cols, cols);
                        var dxr = new Span<float>(pdx + (long)r * cols, cols);
                        float s = pr[r];
                        TensorPrimitives.Subtract(new ReadOnlySpan<float>(px + (long)r * cols, cols), pm[r], xhat);
                        TensorPrimitives.Multiply(xhat, s, xhat);
                        if (hasWeight) TensorPrimitives.Multiply(dyr, w, g);
                        else dyr.CopyTo(g);
                        float gMean = TensorPrimitives.Sum(g) / cols;
                        float gxMean = TensorPrimitives.Dot(g, xhat) / cols;
                        TensorPrimitives.MultiplyAdd(xhat, -gxMean, g, g);
                        TensorPrimitives.Add(g, -gMean, g);
                        TensorPrimitives.MultiplyAdd(g, s, dxr, dxr);
                    }
                });
            }
            bool wantWeight = !dWeight.IsEmpty, wantBias = !dBias.IsEmpty;
            if (!wantWeight && !wantBias) return;
            Parallelism.For(cols, 64, (c0, c1) =>
            {
                int w = c1 - c0;
                var xhat = new float[w];
                var dw = new Span<float>(pdw + c0, wantWeight ? w : 0);
                var db = new Span<float>(pdb + c0, wantBias ? w : 0);
                for (int r = 0; r < rows; r++)
                {
                    var dyr = new ReadOnlySpan<float>(pdy + (long)r * cols + c0, w);
                    if (wantBias) TensorPrimitives.Add(db, dyr, db);
                    if (wantWeight)
                    {
                        TensorPrimitives.Subtract(new ReadOnlySpan<float>(px + (long)r * cols + c0, w), pm[r], xhat);
                        TensorPrimitives.Multiply(xhat, pr[r], xhat);
                        TensorPrimitives.MultiplyAdd(xhat, dyr, dw, dw);
                    }
                }
            });
        }
    }
}

/// <summary>Argument checks shared by the <see cref="LayerNorm"/> kernels.</summary>
internal static class LayerNormGuard
{
    public static int MinRowsPerChunk(int cols) => Math.Max(1, 16384 / Math.Max(1, cols));

    public static int Extent(string op, int rows, int cols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"{op}: invalid extent rows {rows}, cols {cols}.");
        return ShapeRules.Count([rows, cols]);
    }

    public static void Length(string op, string name, int length, int needed)
    {
        if (length < needed)
            throw new ArgumentException($"{op}: {name} holds {length} values but the extent needs {needed}.", name);
    }

    /// <summary>An optional span is either empty (absent) or long enough.</summary>
    public static void Optional(string op, string name, int length, int needed)
    {
        if (length != 0 && length < needed)
            throw new ArgumentException($"{op}: {name} holds {length} values but the extent needs {needed} (or pass an empty span).", name);
    }
}
