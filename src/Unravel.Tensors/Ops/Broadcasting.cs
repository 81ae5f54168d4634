// Broadcast iteration shared by the binary elementwise ops: the output is walked as rows of its last dimension,
// each input contributing either a full row or one repeated value, so every row is one TensorPrimitives call.

using System.Numerics.Tensors;

namespace Unravel.Tensors;

internal enum BinaryKind { Add, Sub, Mul, Div }

internal static class Broadcasting
{
    /// <summary>Strides of <paramref name="shape"/> laid against the broadcast <paramref name="outShape"/> (0 where broadcast).</summary>
    public static int[] StridesAgainst(ReadOnlySpan<int> shape, ReadOnlySpan<int> outShape)
    {
        int[] own = ShapeRules.Strides(shape);
        var s = new int[outShape.Length];
        int lead = outShape.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++)
            s[lead + i] = shape[i] == 1 && outShape[lead + i] != 1 ? 0 : own[i];
        return s;
    }

    /// <summary>Offset of output row <paramref name="row"/> (all dims but the last) in a tensor with the given strides.</summary>
    public static int RowOffset(int row, ReadOnlySpan<int> outShape, ReadOnlySpan<int> strides)
    {
        int off = 0;
        for (int d = outShape.Length - 2; d >= 0; d--)
        {
            int dim = outShape[d];
            off += row % dim * strides[d];
            row /= dim;
        }
        return off;
    }

    public static void Binary(BinaryKind kind, Tensor a, Tensor b, Tensor y)
    {
        ReadOnlySpan<float> ad = a.Data, bd = b.Data;
        Span<float> yd = y.Data;
        if (a.Shape.SequenceEqual(b.Shape))
        {
            Row(kind, ad, bd, yd, false, false);
            return;
        }
        ReadOnlySpan<int> outShape = y.Shape;
        if (outShape.Length == 0) { Row(kind, ad, bd, yd, false, false); return; }
        int cols = outShape[^1], rows = cols == 0 ? 0 : y.Length / cols;
        int[] sa = StridesAgainst(a.Shape, outShape), sb = StridesAgainst(b.Shape, outShape);
        bool aScalar = sa[^1] == 0, bScalar = sb[^1] == 0;
        for (int r = 0; r < rows; r++)
        {
            int oa = RowOffset(r, outShape, sa), ob = RowOffset(r, outShape, sb);
            Row(kind, aScalar ? ad.Slice(oa, 1) : ad.Slice(oa, cols), bScalar ? bd.Slice(ob, 1) : bd.Slice(ob, cols),
                yd.Slice(r * cols, cols), aScalar && cols != 1, bScalar && cols != 1);
        }
    }

    private static void Row(BinaryKind kind, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, bool aScalar, bool bScalar)
    {
        switch (kind)
        {
            case BinaryKind.Add:
                if (aScalar) TensorPrimitives.Add(b, a[0], y);
                else if (bScalar) TensorPrimitives.Add(a, b[0], y);
                else TensorPrimitives.Add(a, b, y);
                break;
            case BinaryKind.Sub:
                if (aScalar) TensorPrimitives.Subtract(a[0], b, y);
                else if (bScalar) TensorPrimitives.Subtract(a, b[0], y);
                else TensorPrimitives.Subtract(a, b, y);
                break;
            case BinaryKind.Mul:
                if (aScalar) TensorPrimitives.Multiply(b, a[0], y);
                else if (bScalar) TensorPrimitives.Multiply(a, b[0], y);
                else TensorPrimitives.Multiply(a, b, y);
                break;
            case BinaryKind.Div:
                if (aScalar) TensorPrimitives.Divide(a[0], b, y);
                else if (bScalar) TensorPrimitives.Divide(a, b[0], y);
                else TensorPrimitives.Divide(a, b, y);
                break;
        }
    }

    /// <summary>Adds <paramref name="g"/> (broadcast shape) into <paramref name="dst"/>, summing over broadcast dimensions.</summary>
    public static void AccumulateReduced(Tensor g, Tensor dst)
    {
        Span<float> dd = dst.Data;
        ReadOnlySpan<float> gd = g.Data;
        if (g.Shape.SequenceEqual(dst.Shape)) { TensorPrimitives.Add(dd, gd, dd); return; }
        ReadOnlySpan<int> outShape = g.Shape;
        if (outShape.Length == 0) { dd[0] += gd[0]; return; }
        int cols = outShape[^1], rows = cols == 0 ? 0 : g.Length / cols;
        int[] sd = StridesAgainst(dst.Shape, outShape);
        bool dScalar = sd[^1] == 0;
        for (int r = 0; r < rows; r++)
        {
            int od = RowOffset(r, outShape, sd);
            ReadOnlySpan<float> row = gd.Slice(r * cols, cols);
            if (dScalar) dd[od] += TensorPrimitives.Sum(row);
            else TensorPrimitives.Add(dd.Slice(od, cols), row, dd.Slice(od, cols));
        }
    }

    /// <summary>A new tensor of <paramref name="shape"/> holding <paramref name="t"/> broadcast to it.</summary>
    public static Tensor Expand(Tensor t, int[] shape)
    {
        Tensor y = Tensor.Zeros(shape);
        Binary(BinaryKind.Add, y, t, y);
        return y;
    }
}
