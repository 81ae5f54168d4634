// Axis bookkeeping shared by Sum and Mean: normalises the axes, derives the kept and final shapes, and splits the
// reduction into passes over maximal runs of adjacent reduced axes, each an [outer, n, inner] reduction.

using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

internal sealed class ReducePlan
{
    private ReducePlan(int[] inShape, bool[] reduced, int[] keepShape, int[] outShape, int count)
    {
        InShape = inShape;
        Reduced = reduced;
        KeepShape = keepShape;
        OutShape = outShape;
        Count = count;
    }

    public int[] InShape { get; }

    /// <summary>Per input axis: true when it is reduced.</summary>
    public bool[] Reduced { get; }

    /// <summary>The output shape with reduced axes kept as size 1 (the shape the gradient broadcasts from).</summary>
    public int[] KeepShape { get; }

    /// <summary>The shape the op returns (KeepShape, or without the reduced axes).</summary>
    public int[] OutShape { get; }

    /// <summary>Number of input elements folded into each output element.</summary>
    public int Count { get; }

    /// <summary>Plans a reduction of <paramref name="shape"/> over <paramref name="axes"/> (null = all axes).</summary>
    /// <exception cref="ArgumentException">An axis is out of range or repeated; the message names the op and the shape.</exception>
    public static ReducePlan Create(ReadOnlySpan<int> shape, int[]? axes, bool keepDim, string op)
    {
        int rank = shape.Length;
        var reduced = new bool[rank];
        if (axes is null) Array.Fill(reduced, true);
        else
            foreach (int axis in axes)
            {
                int a = axis < 0 ? axis + rank : axis;
                if ((uint)a >= (uint)rank)
                    throw new ArgumentException($"{op}: axis {axis} is out of range for input {ShapeRules.Format(shape)} (rank {rank}).", nameof(axes));
                if (reduced[a])
                    throw new ArgumentException($"{op}: axis {a} appears more than once in axes {ShapeRules.Format(axes)} for input {ShapeRules.Format(shape)}.", nameof(axes));
                reduced[a] = true;
            }
        int[] keep = shape.ToArray();
        var output = new List<int>(rank);
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            if (reduced[d]) { count *= shape[d]; keep[d] = 1; }
            if (!reduced[d] || keepDim) output.Add(keep[d]);
        }
        return new ReducePlan(shape.ToArray(), reduced, keep, [.. output], (int)count);
    }

    /// <summary>Sums <paramref name="x"/> over the planned axes into a new tensor of <see cref="OutShape"/>.</summary>
    public Tensor Sum(Tensor x)
    {
        int[] current = (int[])InShape.Clone();
        Tensor cur = x;
        int rank = current.Length, d = 0;
        while (d < rank)
        {
            if (!Reduced[d]) { d++; continue; }
            int end = d;
            while (end < rank && Reduced[end]) end++;
            int outer = Product(current, 0, d), n = Product(current, d, end), inner = Product(current, end, rank);
            for (int k = d; k < end; k++) current[k] = 1;
            Tensor next = Tensor.Zeros(current);
            Tensor src = cur;
            // Split over outer so each chunk reduces whole rows; the per-row order is unchanged, so results do not
            // depend on the thread count.
            int perRow = Math.Max(1, n * inner);
            Parallelism.For(outer, Math.Max(1, ElementwiseParallel.MinPerChunk / perRow), (o0, o1) =>
                Reductions.SumAxis(src.Data.Slice(o0 * n * inner, (o1 - o0) * n * inner),
                    next.Data.Slice(o0 * inner, (o1 - o0) * inner), o1 - o0, n, inner));
            cur = next;
            d = end;
        }
        Tensor result = ReferenceEquals(cur, x) ? x.Clone() : cur;
        return result.ViewAs(OutShape);
    }

    /// <summary>Adds <paramref name="dy"/> (shape <see cref="OutShape"/>) times <paramref name="scale"/>, broadcast over the
    /// reduced axes, into <paramref name="dx"/> (shape <see cref="InShape"/>).</summary>
    public void AccumulateBroadcast(Tensor dy, float scale, Tensor dx)
    {
        Tensor g = dy.ViewAs(KeepShape);
        if (scale != 1f)
        {
            g = g.Clone();
            System.Numerics.Tensors.TensorPrimitives.Multiply(g.Data, scale, g.Data);
        }
        Broadcasting.Binary(BinaryKind.Add, dx, g, dx);
    }

    private static int Product(int[] shape, int from, int to)
    {
        int p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }
}
