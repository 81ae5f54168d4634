// Reductions along one axis of a tensor seen as [outer, n, inner] (row-major): the axis being reduced has n
// elements and stride inner. Multi-axis reductions are a sequence of these (see Ops/ReducePlan.cs).

using System.Numerics.Tensors;

namespace Unravel.Tensors.Kernels;

/// <summary>Sum and max along the middle axis of an [outer, n, inner] block.</summary>
public static class Reductions
{
    /// <summary>Contiguous runs are summed in blocks of this size and the block sums added in double.</summary>
    private const int SumBlock = 1024;

    /// <summary>Sum over the middle axis.</summary>
    /// <remarks>Effectively computes y[o, i] = Σ_r x[o, r, i]. With inner = 1 each row is summed in vectorised
    /// blocks whose partial sums are combined in double, so long sums stay accurate; otherwise rows of length inner
    /// are added in order r = 0, 1, …. The order is fixed, so results are deterministic.</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its extent, or a dimension is negative.</exception>
    public static void SumAxis(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner)
    {
        Check(x, y.Length, outer, n, inner, "sum");
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) y[o] = Sum(x.Slice(o * n, n));
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            Span<float> row = y.Slice(o * inner, inner);
            if (n == 0) { row.Clear(); continue; }
            ReadOnlySpan<float> block = x.Slice(o * n * inner, n * inner);
            block[..inner].CopyTo(row);
            for (int r = 1; r < n; r++) TensorPrimitives.Add(row, block.Slice(r * inner, inner), row);
        }
    }

    /// <summary>Sum of all elements, accumulated block-wise in double (fixed order, deterministic).</summary>
    public static float Sum(ReadOnlySpan<float> x)
    {
        if (x.Length <= SumBlock) return TensorPrimitives.Sum(x);
        double acc = 0;
        for (int s = 0; s < x.Length; s += SumBlock)
            acc += TensorPrimitives.Sum(x.Slice(s, Math.Min(SumBlock, x.Length - s)));
        return (float)acc;
    }

    /// <summary>Maximum over the middle axis, with the index of the first maximum (as torch.max(dim) on CPU).</summary>
    /// <remarks>Effectively computes y[o, i] = max_r x[o, r, i] and argmax[o, i] = the smallest r attaining it. NaN
    /// counts as larger than every number, so a NaN in the run wins and its first index is returned (torch semantics).</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its extent, a dimension is negative, or n is 0.</exception>
    public static void MaxAxis(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, int outer, int n, int inner)
    {
        Check(x, y.Length, outer, n, inner, "max");
        if (argmax.Length < outer * inner)
            throw new ArgumentException($"max: argmax has {argmax.Length} elements, needs {outer * inner}.", nameof(argmax));
        if (n == 0 && outer * inner > 0)
            throw new ArgumentException("max: cannot reduce an axis of size 0.", nameof(n));
        for (int o = 0; o < outer; o++)
        {
            ReadOnlySpan<float> block = x.Slice(o * n * inner, n * inner);
            Span<float> best = y.Slice(o * inner, inner);
            Span<int> index = argmax.Slice(o * inner, inner);
            block[..inner].CopyTo(best);
            index.Clear();
            for (int r = 1; r < n; r++)
            {
                ReadOnlySpan<float> row = block.Slice(r * inner, inner);
                for (int i = 0; i < inner; i++)
                {
                    float v = row[i], b = best[i];
                    // Strictly greater keeps the first of tied maxima; a NaN replaces any number and then stays.
                    if (v > b || (float.IsNaN(v) && !float.IsNaN(b)))
                    {
                        best[i] = v;
                        index[i] = r;
                    }
                }
            }
        }
    }

    /// <summary>Gradient of <see cref="MaxAxis"/>: each dy goes to its argmax position.</summary>
    /// <remarks>Effectively computes dx[o, argmax[o, i], i] += dy[o, i].</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its extent.</exception>
    public static void MaxAxisBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx, int outer, int n, int inner)
    {
        if (dy.Length < outer * inner || argmax.Length < outer * inner || dx.Length < outer * n * inner)
            throw new ArgumentException($"max backward: spans dy {dy.Length}, argmax {argmax.Length}, dx {dx.Length} too short for [{outer}, {n}, {inner}].");
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int k = o * inner + i;
                dx[(o * n + argmax[k]) * inner + i] += dy[k];
            }
    }

    private static void Check(ReadOnlySpan<float> x, int yLength, int outer, int n, int inner, string op)
    {
        if (outer < 0 || n < 0 || inner < 0)
            throw new ArgumentException($"{op}: negative extent [{outer}, {n}, {inner}].");
        if ((long)outer * n * inner > x.Length || (long)outer * inner > yLength)
            throw new ArgumentException($"{op}: spans x {x.Length}, y {yLength} too short for [{outer}, {n}, {inner}].");
    }
}
