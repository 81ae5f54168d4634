// Log-softmax along one axis of a contiguous [outer, dim, inner] block, and its backward. Computed as
// x - max - log Σ exp(x - max), so it never takes the log of an underflowed probability. Special values follow
// torch.log_softmax (a slice holding +Inf or NaN, or only -Inf, becomes all NaN; -Inf next to finite values stays -Inf).
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.functional.log_softmax.html

using System.Numerics.Tensors;

namespace Unravel.Tensors.Kernels;

/// <summary>Log-softmax kernels over one axis. The last axis is the common case (<c>inner = 1</c>).</summary>
public static class LogSoftmax
{
    /// <summary>Row-wise log-softmax of a [rows, cols] matrix.</summary>
    /// <remarks>Effectively computes y[r, i] = x[r, i] - max_r - log Σ_j exp(x[r, j] - max_r).
    /// <paramref name="y"/> may be <paramref name="x"/> itself (same start); partial overlap throws.</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or the spans partially overlap.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int cols) => Forward(x, y, rows, cols, 1);

    /// <summary>Log-softmax over the middle axis of a contiguous [outer, dim, inner] tensor.</summary>
    /// <remarks>Effectively computes y[o, d, i] = x[o, d, i] - m[o, i] - log Σ_e exp(x[o, e, i] - m[o, i]).</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or the spans partially overlap.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int outer, int dim, int inner)
        => SoftmaxGuard.Forward("LogSoftmax.Forward", x, y, outer, dim, inner, log: true);

    /// <summary>Backward of row-wise log-softmax over a [rows, cols] matrix; accumulates into <paramref name="dx"/>.</summary>
    /// <remarks>Effectively computes dx[r, i] += dy[r, i] - exp(y[r, i]) · Σ_j dy[r, j], with y the forward output.
    /// The caller zeroes dx; dx must not overlap y or dy.</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or dx overlaps an input.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols)
        => Backward(y, dy, dx, rows, cols, 1);

    /// <summary>Backward of log-softmax over the middle axis of [outer, dim, inner]; accumulates into <paramref name="dx"/>.</summary>
    /// <remarks>Effectively computes dx[o, d, i] += dy[o, d, i] - exp(y[o, d, i]) · Σ_e dy[o, e, i].</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or dx overlaps an input.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int outer, int dim, int inner)
        => SoftmaxGuard.Backward("LogSoftmax.Backward", y, dy, dx, outer, dim, inner, BackwardBlock);

    private static void BackwardBlock(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int dim, int inner, Span<float> scratch)
    {
        const int Strip = SoftmaxGuard.Strip;
        if (inner == 1)
        {
            float s = TensorPrimitives.Sum(dy);
            TensorPrimitives.Add(dx, dy, dx);
            Span<float> tmp = scratch[..Strip];
            for (int j = 0; j < dim; j += Strip)
            {
                int w = Math.Min(Strip, dim - j);
                TensorPrimitives.Exp(y.Slice(j, w), tmp[..w]);
                Span<float> dxj = dx.Slice(j, w);
                TensorPrimitives.MultiplyAdd(tmp[..w], -s, dxj, dxj);
            }
            return;
        }
        for (int j0 = 0; j0 < inner; j0 += Strip)
        {
            int w = Math.Min(Strip, inner - j0);
            Span<float> sum = scratch[..w], tmp = scratch.Slice(Strip, w);
            sum.Clear();
            for (int d = 0; d < dim; d++) TensorPrimitives.Add(sum, dy.Slice(d * inner + j0, w), sum);
            for (int d = 0; d < dim; d++)
            {
                Span<float> dxd = dx.Slice(d * inner + j0, w);
                TensorPrimitives.Add(dxd, dy.Slice(d * inner + j0, w), dxd);
                TensorPrimitives.Exp(y.Slice(d * inner + j0, w), tmp);
                TensorPrimitives.Multiply(tmp, sum, tmp);
                TensorPrimitives.Subtract(dxd, tmp, dxd);
            }
        }
    }
}
