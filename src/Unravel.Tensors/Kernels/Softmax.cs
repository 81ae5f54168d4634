// Softmax along one axis of a contiguous [outer, dim, inner] block, and its backward. Numerically stable
// (the per-slice maximum is subtracted before exp). Special values follow torch.softmax: a slice that holds
// +Inf or NaN, or only -Inf, becomes all NaN; -Inf entries next to finite ones get probability 0.
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.functional.softmax.html

using System.Numerics.Tensors;

namespace Unravel.Tensors.Kernels;

/// <summary>Softmax kernels over one axis. The last axis is the common case (<c>inner = 1</c>).</summary>
public static class Softmax
{
    /// <summary>Row-wise softmax of a [rows, cols] matrix.</summary>
    /// <remarks>Effectively computes y[r, i] = exp(x[r, i] - max_r) / Σ_j exp(x[r, j] - max_r).
    /// <paramref name="y"/> may be <paramref name="x"/> itself (same start); partial overlap throws.</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or the spans partially overlap.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int cols) => Forward(x, y, rows, cols, 1);

    /// <summary>Softmax over the middle axis of a contiguous [outer, dim, inner] tensor.</summary>
    /// <remarks>Effectively computes y[o, d, i] = exp(x[o, d, i] - m[o, i]) / Σ_e exp(x[o, e, i] - m[o, i]) with
    /// m[o, i] = max_e x[o, e, i]. <paramref name="y"/> may be <paramref name="x"/> itself (same start).</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or the spans partially overlap.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int outer, int dim, int inner)
        => SoftmaxGuard.Forward("Softmax.Forward", x, y, outer, dim, inner, log: false);

    /// <summary>Backward of row-wise softmax over a [rows, cols] matrix; accumulates into <paramref name="dx"/>.</summary>
    /// <remarks>Effectively computes dx[r, i] += y[r, i] · (dy[r, i] - Σ_j dy[r, j] · y[r, j]). The caller zeroes dx;
    /// dx must not overlap y or dy.</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or dx overlaps an input.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols)
        => Backward(y, dy, dx, rows, cols, 1);

    /// <summary>Backward of softmax over the middle axis of [outer, dim, inner]; accumulates into <paramref name="dx"/>.</summary>
    /// <remarks>Effectively computes dx[o, d, i] += y[o, d, i] · (dy[o, d, i] - Σ_e dy[o, e, i] · y[o, e, i]).</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or dx overlaps an input.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int outer, int dim, int inner)
        => SoftmaxGuard.Backward("Softmax.Backward", y, dy, dx, outer, dim, inner, BackwardBlock);

    private static void BackwardBlock(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int dim, int inner, Span<float> scratch)
    {
        if (inner == 1)
        {
            float s = TensorPrimitives.Dot(dy, y);
            TensorPrimitives.MultiplyAdd(y, dy, dx, dx);
            TensorPrimitives.MultiplyAdd(y, -s, dx, dx);
            return;
        }
        for (int j0 = 0; j0 < inner; j0 += SoftmaxGuard.Strip)
        {
            int w = Math.Min(SoftmaxGuard.Strip, inner - j0);
            Span<float> sum = scratch[..w], tmp = scratch.Slice(SoftmaxGuard.Strip, w);
            sum.Clear();
            for (int d = 0; d < dim; d++)
            {
                TensorPrimitives.Multiply(dy.Slice(d * inner + j0, w), y.Slice(d * inner + j0, w), tmp);
                TensorPrimitives.Add(sum, tmp, sum);
            }
            for (int d = 0; d < dim; d++)
            {
                TensorPrimitives.Subtract(dy.Slice(d * inner + j0, w), sum, tmp);
                Span<float> dxd = dx.Slice(d * inner + j0, w);
                TensorPrimitives.MultiplyAdd(y.Slice(d * inner + j0, w), tmp, dxd, dxd);
            }
        }
    }
}

/// <summary>Argument checks and the shared forward and backward drivers of <see cref="Softmax"/> and <see cref="LogSoftmax"/>.</summary>
internal static class SoftmaxGuard
{
    /// <summary>Columns handled per strip when the softmax axis is strided (bounded stack scratch).</summary>
    public const int Strip = 256;

    public static int MinPerChunk(int block) => Math.Max(1, 32768 / Math.Max(1, block));

    public static int Extent(string op, int outer, int dim, int inner)
    {
        if (outer < 0 || dim < 0 || inner < 1)
            throw new ArgumentException($"{op}: invalid extent outer {outer}, dim {dim}, inner {inner}.");
        return ShapeRules.Count([outer, dim, inner]);
    }

    public static void Length(string op, string name, int length, int needed)
    {
        if (length < needed)
            throw new ArgumentException($"{op}: {name} holds {length} values but the extent needs {needed}.", name);
    }

    public static void SameStartOrDisjoint(string op, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Overlaps(y, out int offset) && offset != 0)
            throw new ArgumentException($"{op}: input and output partially overlap (offset {offset}); use the same start or disjoint spans.");
    }

    public static void Disjoint(string op, ReadOnlySpan<float> dx, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (dx.Overlaps(a) || dx.Overlaps(b))
            throw new ArgumentException($"{op}: the accumulated gradient dx must not overlap the inputs.", nameof(dx));
    }

    /// <summary>Backward of one [dim, inner] block: y and dy in, accumulated into dx; scratch holds 2 · <see cref="Strip"/> floats.</summary>
    public delegate void BlockBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int dim, int inner, Span<float> scratch);

    /// <summary>The forward driver of softmax and log-softmax: checks, then every [dim, inner] block in parallel.</summary>
    public static unsafe void Forward(string op, ReadOnlySpan<float> x, Span<float> y, int outer, int dim, int inner, bool log)
    {
        int n = Extent(op, outer, dim, inner);
        Length(op, nameof(x), x.Length, n);
        Length(op, nameof(y), y.Length, n);
        SameStartOrDisjoint(op, x, y);
        if (n == 0) return;
        fixed (float* px0 = x, py0 = y)
        {
            float* px = px0, py = py0;
            int block = dim * inner;
            Parallelism.For(outer, MinPerChunk(block), (start, end) =>
            {
                Span<float> scratch = stackalloc float[3 * Strip];
                for (int o = start; o < end; o++)
                    ForwardBlock(new ReadOnlySpan<float>(px + (long)o * block, block), new Span<float>(py + (long)o * block, block), dim, inner, log, scratch);
            });
        }
    }

    /// <summary>The backward driver of softmax and log-softmax: checks, then <paramref name="blockBackward"/> on every block in parallel.</summary>
    public static unsafe void Backward(string op, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int outer, int dim, int inner,
        BlockBackward blockBackward)
    {
        int n = Extent(op, outer, dim, inner);
        Length(op, nameof(y), y.Length, n);
        Length(op, nameof(dy), dy.Length, n);
        Length(op, nameof(dx), dx.Length, n);
        Disjoint(op, dx[..n], y[..n], dy[..n]);
        if (n == 0) return;
        fixed (float* py0 = y, pdy0 = dy, pdx0 = dx)
        {
            float* py = py0, pdy = pdy0, pdx = pdx0;
            int block = dim * inner;
            Parallelism.For(outer, MinPerChunk(block), (start, end) =>
            {
                Span<float> scratch = stackalloc float[2 * Strip];
                for (int o = start; o < end; o++)
                    blockBackward(new ReadOnlySpan<float>(py + (long)o * block, block), new ReadOnlySpan<float>(pdy + (long)o * block, block),
                        new Span<float>(pdx + (long)o * block, block), dim, inner, scratch);
            });
        }
    }

    /// <summary>Softmax or log-softmax of one [dim, inner] block. Scratch holds 3 · <see cref="Strip"/> floats.</summary>
    public static void ForwardBlock(ReadOnlySpan<float> x, Span<float> y, int dim, int inner, bool log, Span<float> scratch)
    {
        if (dim == 0) return;
        if (inner == 1)
        {
            // An all -Inf or +Inf-holding row gives max - max = NaN, which then spreads to the row: torch's result.
            float max = TensorPrimitives.Max(x);
            TensorPrimitives.Subtract(x, max, y);
            if (!log)
            {
                TensorPrimitives.Exp(y, y);
                TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
            }
            else
            {
                // y may alias x, so exp goes through a strip of scratch rather than a second full row.
                float sum = 0f;
                Span<float> tmp = scratch[..Strip];
                for (int j = 0; j < dim; j += Strip)
                {
                    int w = Math.Min(Strip, dim - j);
                    TensorPrimitives.Exp(y.Slice(j, w), tmp[..w]);
                    sum += TensorPrimitives.Sum(tmp[..w]);
                }
                TensorPrimitives.Subtract(y, MathF.Log(sum), y);
            }
            return;
        }
        for (int j0 = 0; j0 < inner; j0 += Strip)
        {
            int w = Math.Min(Strip, inner - j0);
            Span<float> max = scratch[..w], sum = scratch.Slice(Strip, w), tmp = scratch.Slice(2 * Strip, w);
            x.Slice(j0, w).CopyTo(max);
            for (int d = 1; d < dim; d++) TensorPrimitives.Max(max, x.Slice(d * inner + j0, w), max);
            sum.Clear();
            for (int d = 0; d < dim; d++)
            {
                Span<float> yd = y.Slice(d * inner + j0, w);
                TensorPrimitives.Subtract(x.Slice(d * inner + j0, w), max, yd);
                if (log)
                {
                    TensorPrimitives.Exp(yd, tmp);
                    TensorPrimitives.Add(sum, tmp, sum);
                }
                else
                {
                    TensorPrimitives.Exp(yd, yd);
                    TensorPrimitives.Add(sum, yd, sum);
                }
            }
            if (log) TensorPrimitives.Log(sum, sum);
            for (int d = 0; d < dim; d++)
            {
                Span<float> yd = y.Slice(d * inner + j0, w);
                if (log) TensorPrimitives.Subtract(yd, sum, yd);
                else TensorPrimitives.Divide(yd, sum, yd);
            }
        }
    }
}
