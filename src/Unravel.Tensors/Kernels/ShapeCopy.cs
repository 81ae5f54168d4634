// Copy kernels behind the shape ops: axis permutation (general strided gather) and strided slicing along one axis.
// Backward kernels scatter-add into dx (the caller zeroes it).

using System.Numerics.Tensors;

namespace Unravel.Tensors.Kernels;

/// <summary>Permute and slice copies for row-major contiguous tensors.</summary>
public static class ShapeCopy
{
    /// <summary>Writes <paramref name="x"/> (of <paramref name="shape"/>) with its axes reordered by <paramref name="dims"/>.</summary>
    /// <remarks>Effectively computes y[i_0, …, i_{r-1}] = x[j] where j has j[dims[k]] = i_k; y has shape
    /// shape[dims[0]], …, shape[dims[r-1]]. Axes that stay adjacent are merged first, so e.g. [B, T, H, D] →
    /// [B, H, T, D] copies runs of D contiguous floats.</remarks>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of the axes, or a span is too short.</exception>
    public static void Permute(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> dims)
    {
        PermutePlan plan = PermutePlan.Create(shape, dims, "permute");
        CheckLengths(x.Length, y.Length, plan.Length, "permute");
        PermuteRows(x, y, plan, 0, plan.Rows, accumulate: false);
    }

    /// <summary>Gradient of <see cref="Permute"/>: scatters <paramref name="dy"/> (permuted layout) back into <paramref name="dx"/>.</summary>
    /// <remarks>Effectively computes dx[j] += dy[i] for every pair that <see cref="Permute"/> copies.</remarks>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of the axes, or a span is too short.</exception>
    public static void PermuteBackward(ReadOnlySpan<float> dy, Span<float> dx, ReadOnlySpan<int> shape, ReadOnlySpan<int> dims)
    {
        PermutePlan plan = PermutePlan.Create(shape, dims, "permute backward");
        CheckLengths(dx.Length, dy.Length, plan.Length, "permute backward");
        PermuteRows(dy, dx, plan, 0, plan.Rows, accumulate: true);
    }

    /// <summary>Copies (or, with <paramref name="accumulate"/>, scatter-adds) output rows [rowStart, rowEnd) of a planned permute.</summary>
    /// <remarks>Forward: dst is the permuted output and src the input. Accumulate: src is dy (permuted layout) and dst is dx.</remarks>
    internal static void PermuteRows(ReadOnlySpan<float> src, Span<float> dst, PermutePlan plan, int rowStart, int rowEnd, bool accumulate)
    {
        int cols = plan.Cols, colStride = plan.ColStride, outer = plan.OuterSizes.Length;
        if (rowStart >= rowEnd || cols == 0) return;
        // Odometer over the outer (row) axes, started at rowStart.
        var index = new int[outer];
        int inOffset = 0;
        for (int k = outer - 1, r = rowStart; k >= 0; k--)
        {
            index[k] = r % plan.OuterSizes[k];
            r /= plan.OuterSizes[k];
            inOffset += index[k] * plan.OuterStrides[k];
        }
        for (int row = rowStart; row < rowEnd; row++)
        {
            int o = row * cols;
            if (!accumulate)
            {
                if (colStride == 1) src.Slice(inOffset, cols).CopyTo(dst.Slice(o, cols));
                else for (int c = 0, p = inOffset; c < cols; c++, p += colStride) dst[o + c] = src[p];
            }
            else
            {
                if (colStride == 1) TensorPrimitives.Add(dst.Slice(inOffset, cols), src.Slice(o, cols), dst.Slice(inOffset, cols));
                else for (int c = 0, p = inOffset; c < cols; c++, p += colStride) dst[p] += src[o + c];
            }
            for (int k = outer - 1; k >= 0; k--)
            {
                inOffset += plan.OuterStrides[k];
                if (++index[k] < plan.OuterSizes[k]) break;
                inOffset -= index[k] * plan.OuterStrides[k];
                index[k] = 0;
            }
        }
    }

    /// <summary>Strided slice along the middle axis of an [outer, n, inner] block.</summary>
    /// <remarks>Effectively computes y[o, k, i] = x[o, start + k·step, i] for k &lt; count.</remarks>
    /// <exception cref="ArgumentException">The slice leaves the axis, step ≤ 0, or a span is too short.</exception>
    public static void SliceAxis(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner, int start, int step, int count)
    {
        CheckSlice(x.Length, y.Length, outer, n, inner, start, step, count, "slice");
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < count; k++)
                x.Slice((o * n + start + k * step) * inner, inner).CopyTo(y.Slice((o * count + k) * inner, inner));
    }

    /// <summary>Gradient of <see cref="SliceAxis"/>.</summary>
    /// <remarks>Effectively computes dx[o, start + k·step, i] += dy[o, k, i].</remarks>
    /// <exception cref="ArgumentException">The slice leaves the axis, step ≤ 0, or a span is too short.</exception>
    public static void SliceAxisBackward(ReadOnlySpan<float> dy, Span<float> dx, int outer, int n, int inner, int start, int step, int count)
    {
        CheckSlice(dx.Length, dy.Length, outer, n, inner, start, step, count, "slice backward");
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < count; k++)
            {
                Span<float> d = dx.Slice((o * n + start + k * step) * inner, inner);
                TensorPrimitives.Add(d, dy.Slice((o * count + k) * inner, inner), d);
            }
    }

    private static void CheckLengths(int xLength, int yLength, int length, string op)
    {
        if (xLength < length || yLength < length)
            throw new ArgumentException($"{op}: spans of {xLength} and {yLength} elements, need {length}.");
    }

    private static void CheckSlice(int fullLength, int slicedLength, int outer, int n, int inner, int start, int step, int count, string op)
    {
        if (outer < 0 || n < 0 || inner < 0 || count < 0 || step <= 0)
            throw new ArgumentException($"{op}: invalid extent [{outer}, {n}, {inner}] or step {step}.");
        if (count > 0 && (start < 0 || start + (long)(count - 1) * step >= n))
            throw new ArgumentException($"{op}: {count} elements from {start} by {step} leave an axis of size {n}.");
        if ((long)outer * n * inner > fullLength || (long)outer * count * inner > slicedLength)
            throw new ArgumentException($"{op}: spans of {fullLength} and {slicedLength} elements too short for [{outer}, {n}, {inner}] sliced to {count}.");
    }
}

/// <summary>A permute reduced to rows of <see cref="Cols"/> elements (input stride <see cref="ColStride"/>) over an
/// odometer of outer axes; size-1 axes are dropped and axes that stay adjacent in the input are merged.</summary>
internal sealed class PermutePlan
{
    private PermutePlan(int[] outShape, int[] outerSizes, int[] outerStrides, int cols, int colStride, int length)
    {
        OutShape = outShape;
        OuterSizes = outerSizes;
        OuterStrides = outerStrides;
        Cols = cols;
        ColStride = colStride;
        Length = length;
        Rows = cols == 0 ? 0 : length / cols;
    }

    /// <summary>The unmerged output shape.</summary>
    public int[] OutShape { get; }

    public int[] OuterSizes { get; }

    public int[] OuterStrides { get; }

    public int Cols { get; }

    public int ColStride { get; }

    public int Rows { get; }

    public int Length { get; }

    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of the axes of <paramref name="shape"/>.</exception>
    public static PermutePlan Create(ReadOnlySpan<int> shape, ReadOnlySpan<int> dims, string op)
    {
        int rank = shape.Length;
        if (dims.Length != rank)
            throw new ArgumentException($"{op}: dims {ShapeRules.Format(dims)} has {dims.Length} entries for input {ShapeRules.Format(shape)} of rank {rank}.", nameof(dims));
        int[] inStrides = ShapeRules.Strides(shape);
        var seen = new bool[rank];
        var outShape = new int[rank];
        var sizes = new List<int>(rank);
        var strides = new List<int>(rank);
        for (int k = 0; k < rank; k++)
        {
            int d = dims[k] < 0 ? dims[k] + rank : dims[k];
            if ((uint)d >= (uint)rank || seen[d])
                throw new ArgumentException($"{op}: dims {ShapeRules.Format(dims)} is not a permutation of the axes of input {ShapeRules.Format(shape)}.", nameof(dims));
            seen[d] = true;
            outShape[k] = shape[d];
            if (shape[d] == 1) continue;
            // Merge with the previous kept axis when the pair is contiguous in the input.
            if (sizes.Count > 0 && strides[^1] == shape[d] * inStrides[d])
            {
                sizes[^1] *= shape[d];
                strides[^1] = inStrides[d];
            }
            else
            {
                sizes.Add(shape[d]);
                strides.Add(inStrides[d]);
            }
        }
        int length = ShapeRules.Count(shape);
        if (sizes.Count == 0) return new PermutePlan(outShape, [], [], 1, 1, length);
        return new PermutePlan(outShape, [.. sizes[..^1]], [.. strides[..^1]], sizes[^1], strides[^1], length);
    }
}
