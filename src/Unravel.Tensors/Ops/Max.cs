// Max over one axis (the values of torch.max(x, dim, keepdim)). The gradient goes only to the index that torch
// returns, the first maximum along the axis (CPU, torch 1.13), so tied maxima do not share it.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Maximum over <paramref name="axis"/> (negative counts from the end).</summary>
    /// <param name="x">Input of rank ≥ 1.</param>
    /// <param name="axis">The axis to reduce.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1.</param>
    /// <remarks>Effectively computes y[o, i] = max_r x[o, r, i]; NaN wins (propagates). dx[o, argmax, i] += dy[o, i].</remarks>
    /// <exception cref="ArgumentException">The axis is out of range or has size 0.</exception>
    public static Tensor Max(Tensor x, int axis, bool keepDim = false)
    {
        int rank = x.Rank;
        int a = axis < 0 ? axis + rank : axis;
        if ((uint)a >= (uint)rank)
            throw new ArgumentException($"max: axis {axis} is out of range for input {x.ShapeString} (rank {rank}).", nameof(axis));
        int n = x.Shape[a];
        if (n == 0)
            throw new ArgumentException($"max: cannot reduce axis {axis} of size 0 in input {x.ShapeString}.", nameof(axis));
        int outer = 1, inner = 1;
        for (int d = 0; d < a; d++) outer *= x.Shape[d];
        for (int d = a + 1; d < rank; d++) inner *= x.Shape[d];

        int[] keep = x.Shape.ToArray();
        keep[a] = 1;
        int[] outShape = keepDim ? keep : [.. keep[..a], .. keep[(a + 1)..]];
        Tensor y = Tensor.Zeros(outShape);
        var argmax = new int[outer * inner];
        int perRow = Math.Max(1, n * inner);
        Parallelism.For(outer, Math.Max(1, ElementwiseParallel.MinPerChunk / perRow), (o0, o1) =>
            Reductions.MaxAxis(x.Data.Slice(o0 * n * inner, (o1 - o0) * n * inner), y.Data.Slice(o0 * inner, (o1 - o0) * inner),
                argmax.AsSpan(o0 * inner, (o1 - o0) * inner), o1 - o0, n, inner));
        Tape.Of(x)?.Record("max", y, [x], MaxBackward, new MaxState(argmax, outer, n, inner));
        return y;
    }

    private sealed record MaxState(int[] Argmax, int Outer, int N, int Inner);

    private static void MaxBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (!grads.Wants(x)) return;
        var s = (MaxState)node.State!;
        Reductions.MaxAxisBackward(dy.Data, s.Argmax, grads.For(x).Data, s.Outer, s.N, s.Inner);
    }
}
