// Index maps for layout ops: for every output element, the flat index of the input element it copies (or -1 for a
// padding value). One map serves float tensors (through the differentiable OnnxOps.Gather) and integer values alike,
// so Transpose, Slice (negative steps included), Expand, Gather and Pad share one forward and one backward.

namespace Unravel.Models.Onnx;

/// <summary>Builds output → input index maps for layout ops.</summary>
internal static class OnnxIndexMaps
{
    /// <summary>NumPy broadcast of <paramref name="inShape"/> to <paramref name="outShape"/>.</summary>
    public static int[] Broadcast(int[] inShape, int[] outShape)
    {
        int rank = outShape.Length;
        int[] strides = new int[rank];
        int s = 1;
        for (int i = inShape.Length - 1; i >= 0; i--)
        {
            int o = rank - inShape.Length + i;
            strides[o] = inShape[i] == 1 ? 0 : s;
            s *= inShape[i];
        }
        return Walk(outShape, strides, 0);
    }

    /// <summary>Output axis i takes input axis perm[i].</summary>
    public static int[] Transpose(int[] inShape, int[] perm, out int[] outShape)
    {
        int[] inStrides = ShapeRules.Strides(inShape);
        outShape = new int[perm.Length];
        int[] strides = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            outShape[i] = inShape[perm[i]];
            strides[i] = inStrides[perm[i]];
        }
        return Walk(outShape, strides, 0);
    }

    /// <summary>Per-axis start and step (already clamped, step may be negative) with the given output counts.</summary>
    public static int[] Slice(int[] inShape, int[] starts, int[] steps, int[] outShape)
    {
        int[] inStrides = ShapeRules.Strides(inShape);
        int[] strides = new int[inShape.Length];
        int origin = 0;
        for (int i = 0; i < inShape.Length; i++)
        {
            strides[i] = inStrides[i] * steps[i];
            origin += starts[i] * inStrides[i];
        }
        return Walk(outShape, strides, origin);
    }

    /// <summary>ONNX Gather: out = data[..., indices[...], ...] along <paramref name="axis"/>.</summary>
    public static int[] Gather(int[] dataShape, int axis, long[] indices, int[] indicesShape, out int[] outShape)
    {
        int outer = ShapeRules.Count(dataShape.AsSpan(0, axis)), inner = ShapeRules.Count(dataShape.AsSpan(axis + 1));
        int n = dataShape[axis];
        outShape = [.. dataShape[..axis], .. indicesShape, .. dataShape[(axis + 1)..]];
        int[] map = new int[outer * indices.Length * inner];
        int k = 0;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < indices.Length; j++)
            {
                long idx = indices[j] < 0 ? indices[j] + n : indices[j];
                if (idx < 0 || idx >= n)
                    throw new ArgumentException($"Gather: index {indices[j]} is out of range for axis {axis} of size {n}.");
                int start = (o * n + (int)idx) * inner;
                for (int i = 0; i < inner; i++) map[k++] = start + i;
            }
        return map;
    }

    /// <summary>Padding: -1 marks padded positions ("constant"); "edge" repeats the border element, "reflect" mirrors
    /// without repeating it. <paramref name="pads"/> is [begin..., end...].</summary>
    public static int[] Pad(int[] inShape, int[] pads, out int[] outShape, string mode = "constant")
    {
        int rank = inShape.Length;
        outShape = new int[rank];
        for (int i = 0; i < rank; i++) outShape[i] = inShape[i] + pads[i] + pads[rank + i];
        int[] inStrides = ShapeRules.Strides(inShape);
        int total = ShapeRules.Count(outShape);
        int[] map = new int[total];
        int[] idx = new int[rank];
        for (int f = 0; f < total; f++)
        {
            int src = 0;
            bool inside = true;
            for (int i = 0; i < rank; i++)
            {
                int p = idx[i] - pads[i], n = inShape[i];
                if (p < 0 || p >= n)
                {
                    if (mode == "constant") { inside = false; break; }
                    if (mode == "edge") p = Math.Clamp(p, 0, n - 1);
                    else
                    {
                        int period = Math.Max(2 * n - 2, 1);
                        p = ((p % period) + period) % period;
                        if (p >= n) p = period - p;
                    }
                }
                src += p * inStrides[i];
            }
            map[f] = inside ? src : -1;
            for (int i = rank - 1; i >= 0; i--)
            {
                if (++idx[i] < outShape[i]) break;
                idx[i] = 0;
            }
        }
        return map;
    }

    /// <summary>Applies <paramref name="map"/> to integer values (-1 gives <paramref name="fill"/>).</summary>
    public static long[] Apply(long[] values, int[] map, long fill = 0)
    {
        long[] y = new long[map.Length];
        for (int i = 0; i < map.Length; i++) y[i] = map[i] < 0 ? fill : values[map[i]];
        return y;
    }

    private static int[] Walk(int[] outShape, int[] strides, int origin)
    {
        int rank = outShape.Length;
        int total = ShapeRules.Count(outShape);
        int[] map = new int[total];
        if (total == 0) return map;
        int[] idx = new int[rank];
        int cur = origin;
        for (int f = 0; f < total; f++)
        {
            map[f] = cur;
            for (int i = rank - 1; i >= 0; i--)
            {
                cur += strides[i];
                if (++idx[i] < outShape[i]) break;
                cur -= strides[i] * outShape[i];
                idx[i] = 0;
            }
        }
        return map;
    }
}
