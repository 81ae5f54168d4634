// Concatenation along one axis (torch.cat). Every input must match the others except along that axis.
// Backward hands each input its own slab of dy.

using System.Numerics.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Joins <paramref name="xs"/> along <paramref name="axis"/> into a new tensor.</summary>
    /// <param name="xs">One or more tensors of equal rank whose shapes agree except along <paramref name="axis"/>.</param>
    /// <param name="axis">The joined axis; negative counts from the end.</param>
    /// <remarks>Effectively computes torch.cat(xs, axis).</remarks>
    /// <exception cref="ArgumentException">The list is empty, the ranks differ, the axis is out of range, or the shapes
    /// disagree off the axis; the message names the offending shapes.</exception>
    public static Tensor Concat(IReadOnlyList<Tensor> xs, int axis)
    {
        ArgumentNullException.ThrowIfNull(xs);
        if (xs.Count == 0) throw new ArgumentException("concat: needs at least one tensor.", nameof(xs));
        Tensor first = xs[0];
        int rank = first.Rank;
        int a = axis < 0 ? axis + rank : axis;
        if ((uint)a >= (uint)rank)
            throw new ArgumentException($"concat: axis {axis} is out of range for input {first.ShapeString} (rank {rank}).", nameof(axis));
        var sizes = new int[xs.Count];
        int total = 0;
        for (int j = 0; j < xs.Count; j++)
        {
            Tensor x = xs[j];
            bool ok = x.Rank == rank;
            for (int d = 0; ok && d < rank; d++) ok = d == a || x.Shape[d] == first.Shape[d];
            if (!ok)
                throw new ArgumentException($"concat: input {j} has shape {x.ShapeString} but input 0 has {first.ShapeString}; "
                    + $"shapes must match except along axis {axis}.", nameof(xs));
            sizes[j] = x.Shape[a];
            total += sizes[j];
        }
        int outer = 1, inner = 1;
        for (int d = 0; d < a; d++) outer *= first.Shape[d];
        for (int d = a + 1; d < rank; d++) inner *= first.Shape[d];

        int[] outShape = first.Shape.ToArray();
        outShape[a] = total;
        Tensor y = Tensor.Zeros(outShape);
        Span<float> yd = y.Data;
        for (int o = 0, offset = 0; o < outer; o++)
            for (int j = 0; j < xs.Count; j++)
            {
                int run = sizes[j] * inner;
                xs[j].Data.Slice(o * run, run).CopyTo(yd.Slice(offset, run));
                offset += run;
            }
        Tensor[] inputs = [.. xs];
        Tape.Of(inputs)?.Record("concat", y, inputs, ConcatBackward, new ConcatState(sizes, outer, inner));
        return y;
    }

    private sealed record ConcatState(int[] Sizes, int Outer, int Inner);

    private static void ConcatBackward(Node node, Tensor dy, GradStore grads)
    {
        var s = (ConcatState)node.State!;
        ReadOnlySpan<float> g = dy.Data;
        int total = 0;
        foreach (int size in s.Sizes) total += size;
        for (int j = 0, before = 0; j < s.Sizes.Length; before += s.Sizes[j], j++)
        {
            Tensor x = node.Inputs[j];
            if (!grads.Wants(x)) continue;
            Span<float> dx = grads.For(x).Data;
            int run = s.Sizes[j] * s.Inner;
            for (int o = 0; o < s.Outer; o++)
            {
                Span<float> d = dx.Slice(o * run, run);
                TensorPrimitives.Add(d, g.Slice((o * total + before) * s.Inner, run), d);
            }
        }
    }
}
