// Slice along one axis with Python semantics (x[..., start:end:step, ...]), as an explicit copy.
// dx[..., start + k·step, ...] += dy[..., k, ...].

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>A copy of the elements start, start + step, … (before end) along <paramref name="axis"/>.</summary>
    /// <param name="x">Input of rank ≥ 1.</param>
    /// <param name="axis">The sliced axis; negative counts from the end.</param>
    /// <param name="start">First index; negative counts from the end; clamped to the axis like Python.</param>
    /// <param name="end">Exclusive end; negative counts from the end; clamped to the axis like Python.</param>
    /// <param name="step">Positive stride (PyTorch does not support negative steps either).</param>
    /// <remarks>Effectively computes x[(slice(None),)*axis + (slice(start, end, step),)]. An empty range gives a size-0 axis.</remarks>
    /// <exception cref="ArgumentException">The axis is out of range or step ≤ 0.</exception>
    public static Tensor Slice(Tensor x, int axis, int start, int end, int step = 1)
    {
        int rank = x.Rank;
        int a = axis < 0 ? axis + rank : axis;
        if ((uint)a >= (uint)rank)
            throw new ArgumentException($"slice: axis {axis} is out of range for input {x.ShapeString} (rank {rank}).", nameof(axis));
        if (step <= 0)
            throw new ArgumentException($"slice: step must be positive, got {step} (input {x.ShapeString}, axis {axis}).", nameof(step));
        int n = x.Shape[a];
        int s = SliceClamp(start, n), e = SliceClamp(end, n);
        int count = e > s ? (e - s + step - 1) / step : 0;
        int outer = 1, inner = 1;
        for (int d = 0; d < a; d++) outer *= x.Shape[d];
        for (int d = a + 1; d < rank; d++) inner *= x.Shape[d];

        int[] outShape = x.Shape.ToArray();
        outShape[a] = count;
        Tensor y = Tensor.Zeros(outShape);
        ShapeCopy.SliceAxis(x.Data, y.Data, outer, n, inner, s, step, count);
        Tape.Of(x)?.Record("slice", y, [x], SliceBackward, new SliceState(outer, n, inner, s, step, count));
        return y;
    }

    private sealed record SliceState(int Outer, int N, int Inner, int Start, int Step, int Count);

    /// <summary>Python's slice index normalisation for a positive step: negatives count from the end, then clamp to [0, n].</summary>
    private static int SliceClamp(int index, int n)
    {
        long i = index < 0 ? (long)index + n : index;
        return (int)Math.Clamp(i, 0, n);
    }

    private static void SliceBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (!grads.Wants(x)) return;
        var s = (SliceState)node.State!;
        ShapeCopy.SliceAxisBackward(dy.Data, grads.For(x).Data, s.Outer, s.N, s.Inner, s.Start, s.Step, s.Count);
    }
}
