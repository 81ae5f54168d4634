// Shape and layout ONNX operators: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split, Slice, Gather,
// Expand, Pad, Shape, Size, Constant, ConstantOfShape, Range, Identity. They work on float and integer values alike.


namespace Unravel.Models.Onnx;

internal static partial class OnnxOperators
{
    private static void AddShape(Dictionary<string, Func<OnnxNodeContext, OnnxKernel>> t)
    {
        t["Identity"] = _ => inputs => One(inputs[0]!);
        t["Reshape"] = c =>
        {
            bool allowZero = c.Int("allowzero", 0) != 0;
            return inputs => One(WithShape(inputs[0]!, ReshapeTarget(c, inputs[0]!.Shape, inputs[1]!.AsInts(), allowZero)));
        };
        t["Flatten"] = c =>
        {
            long axisAttr = c.Int("axis", 1);
            return inputs =>
            {
                int[] s = inputs[0]!.Shape;
                int axis = axisAttr < 0 ? (int)axisAttr + s.Length : (int)axisAttr;
                if (axis < 0 || axis > s.Length) throw c.Fail($"axis {axisAttr} is out of range for rank {s.Length}.");
                return One(WithShape(inputs[0]!, [ShapeRules.Count(s.AsSpan(0, axis)), ShapeRules.Count(s.AsSpan(axis))]));
            };
        };
        t["Squeeze"] = c =>
        {
            long[]? attrAxes = c.Ints("axes");
            return inputs =>
            {
                int[] s = inputs[0]!.Shape;
                long[]? axes = c.Opset >= 13 ? OptionalInts(inputs, 1) : attrAxes;
                var drop = axes is null ? Enumerable.Range(0, s.Length).Where(i => s[i] == 1).ToHashSet() : axes.Select(a => Axis(a, s.Length, c)).ToHashSet();
                foreach (int a in drop)
                    if (s[a] != 1) throw c.Fail($"cannot squeeze axis {a} of size {s[a]}.");
                return One(WithShape(inputs[0]!, [.. Enumerable.Range(0, s.Length).Where(i => !drop.Contains(i)).Select(i => s[i])]));
            };
        };
        t["Unsqueeze"] = c =>
        {
            long[]? attrAxes = c.Ints("axes");
            return inputs =>
            {
                int[] s = inputs[0]!.Shape;
                long[] axes = (c.Opset >= 13 ? OptionalInts(inputs, 1) : attrAxes) ?? throw c.Fail("axes are required.");
                int rank = s.Length + axes.Length;
                var add = axes.Select(a => Axis(a, rank, c)).ToHashSet();
                var shape = new List<int>();
                int k = 0;
                for (int i = 0; i < rank; i++) shape.Add(add.Contains(i) ? 1 : s[k++]);
                return One(WithShape(inputs[0]!, [.. shape]));
            };
        };
        t["Transpose"] = c =>
        {
            long[]? permAttr = c.Ints("perm");
            return inputs =>
            {
                OnnxValue x = inputs[0]!;
                int[] perm = permAttr is null ? [.. Enumerable.Range(0, x.Rank).Reverse()] : ToInts(permAttr);
                if (x.IsFloat) return One(Ops.Permute(x.Floats!, perm));
                int[] map = OnnxIndexMaps.Transpose(x.Shape, perm, out int[] shape);
                return One(OnnxValue.Int(OnnxIndexMaps.Apply(x.Ints!, map), shape, x.Type));
            };
        };
        t["Concat"] = c =>
        {
            long axisAttr = c.Int("axis", 0);
            return inputs =>
            {
                OnnxValue[] xs = [.. inputs.Where(v => v is not null).Select(v => v!)];
                int axis = Axis(axisAttr, xs[0].Rank, c);
                if (xs.Any(v => v.IsFloat)) return One(Ops.Concat([.. xs.Where(v => v.Length > 0 || xs.Length == 1).Select(v => v.AsFloat())], axis));
                return One(IntConcat(xs, axis));
            };
        };
        t["Split"] = Split;
        t["Slice"] = Slice;
        t["Gather"] = c =>
        {
            long axisAttr = c.Int("axis", 0);
            return inputs =>
            {
                OnnxValue data = inputs[0]!, idx = inputs[1]!;
                int axis = Axis(axisAttr, data.Rank, c);
                int[] map = OnnxIndexMaps.Gather(data.Shape, axis, idx.AsInts(), idx.Shape, out int[] shape);
                return data.IsFloat
                    ? One(OnnxOps.Gather("gather", data.Floats!, map, shape))
                    : One(OnnxValue.Int(OnnxIndexMaps.Apply(data.Ints!, map), shape, data.Type));
            };
        };
        t["Expand"] = _ => inputs =>
        {
            OnnxValue x = inputs[0]!;
            int[] shape = ShapeRules.Broadcast(x.Shape, ToInts(inputs[1]!.AsInts()), "expand");
            if (x.IsFloat) return One(ExpandTo(x.Floats!, shape));
            return One(OnnxValue.Int(OnnxIndexMaps.Apply(x.Ints!, OnnxIndexMaps.Broadcast(x.Shape, shape)), shape, x.Type));
        };
        t["Pad"] = Pad;
        t["Trilu"] = c =>
        {
            bool upper = c.Int("upper", 1) != 0;
            return inputs =>
            {
                OnnxValue x = inputs[0]!;
                long k = OptionalInts(inputs, 1)?[0] ?? 0;
                int rows = x.Shape[^2], cols = x.Shape[^1];
                int[] map = new int[x.Length];
                for (int i = 0; i < map.Length; i++)
                {
                    int r = i / cols % rows, col = i % cols;
                    bool keep = upper ? col - r >= k : col - r <= k;
                    map[i] = keep ? i : -1;
                }
                return x.IsFloat ? One(OnnxOps.Gather("trilu", x.Floats!, map, x.Shape))
                    : One(OnnxValue.Int(OnnxIndexMaps.Apply(x.Ints!, map), x.Shape, x.Type));
            };
        };
        t["Shape"] = c =>
        {
            long start = c.Int("start", 0), end = c.Int("end", long.MaxValue);
            return inputs =>
            {
                int[] s = inputs[0]!.Shape;
                int r = s.Length;
                int b = (int)Math.Clamp(start < 0 ? start + r : start, 0, r), e = (int)Math.Clamp(end < 0 ? end + r : end, 0, r);
                long[] v = e > b ? [.. s[b..e].Select(d => (long)d)] : [];
                return One(OnnxValue.Int(v, [v.Length]));
            };
        };
        t["Size"] = _ => inputs => One(OnnxValue.Int([inputs[0]!.Length], []));
        t["Constant"] = Constant;
        t["ConstantOfShape"] = c =>
        {
            OnnxValue fill = c.Tensor("value") is { } tp ? OnnxTensorReader.Read(tp, c.File, null) : OnnxValue.Float(Tensor.Zeros(1));
            return inputs =>
            {
                int[] shape = ToInts(inputs[0]!.AsInts());
                int n = ShapeRules.Count(shape);
                return fill.IsFloat
                    ? One(Tensor.Full(fill.Floats!.Data[0], shape))
                    : One(OnnxValue.Int(Enumerable.Repeat(fill.Ints![0], n).ToArray(), shape, fill.Type));
            };
        };
        t["Range"] = _ => inputs =>
        {
            OnnxValue s = inputs[0]!, l = inputs[1]!, d = inputs[2]!;
            if (s.IsFloat)
            {
                float start = s.Floats!.Data[0], limit = l.AsFloat().Data[0], delta = d.AsFloat().Data[0];
                int n = Math.Max((int)MathF.Ceiling((limit - start) / delta), 0);
                float[] v = new float[n];
                for (int i = 0; i < n; i++) v[i] = start + i * delta;
                return One(Tensor.FromArray(v, n));
            }
            long ls = s.Ints![0], ll = l.AsInts()[0], ld = d.AsInts()[0];
            int count = (int)Math.Max(Math.Ceiling((ll - ls) / (double)ld), 0);
            return One(OnnxValue.Int([.. Enumerable.Range(0, count).Select(i => ls + i * ld)], [count], s.Type));
        };
    }

    private static OnnxValue WithShape(OnnxValue x, int[] shape) =>
        x.IsFloat ? OnnxValue.Float(Ops.Reshape(x.Floats!, shape)) : OnnxValue.Int(x.Ints!, shape, x.Type);

    private static int[] ReshapeTarget(OnnxNodeContext c, int[] inShape, long[] target, bool allowZero)
    {
        int[] shape = new int[target.Length];
        int infer = -1;
        for (int i = 0; i < target.Length; i++)
        {
            long d = target[i];
            if (d == 0 && !allowZero)
            {
                if (i >= inShape.Length) throw c.Fail($"shape entry {i} is 0 (copy) but the input has rank {inShape.Length}.");
                shape[i] = inShape[i];
            }
            else if (d == -1)
            {
                if (infer >= 0) throw c.Fail("shape has more than one -1.");
                infer = i;
                shape[i] = 1;
            }
            else if (d < 0) throw c.Fail($"shape entry {d} is negative.");
            else shape[i] = (int)d;
        }
        if (infer >= 0)
        {
            int known = ShapeRules.Count(shape);
            int total = ShapeRules.Count(inShape);
            if (known == 0 || total % known != 0)
                throw c.Fail($"cannot reshape {ShapeRules.Format(inShape)} to [{string.Join(", ", target)}].");
            shape[infer] = total / known;
        }
        return shape;
    }

    private static OnnxValue IntConcat(OnnxValue[] xs, int axis)
    {
        int[] shape = (int[])xs[0].Shape.Clone();
        shape[axis] = xs.Sum(v => v.Shape[axis]);
        int outer = ShapeRules.Count(shape.AsSpan(0, axis)), inner = ShapeRules.Count(shape.AsSpan(axis + 1));
        long[] y = new long[ShapeRules.Count(shape)];
        int k = 0;
        for (int o = 0; o < outer; o++)
            foreach (OnnxValue v in xs)
            {
                int block = v.Shape[axis] * inner;
                Array.Copy(v.Ints!, o * block, y, k, block);
                k += block;
            }
        return OnnxValue.Int(y, shape, xs[0].Type);
    }

    private static OnnxKernel Split(OnnxNodeContext c)
    {
        long axisAttr = c.Int("axis", 0);
        long[]? splitAttr = c.Ints("split");
        int outputs = c.Node.Output.Count;
        return inputs =>
        {
            OnnxValue x = inputs[0]!;
            int axis = Axis(axisAttr, x.Rank, c), n = x.Shape[axis];
            long[]? split = (c.Opset >= 13 ? OptionalInts(inputs, 1) : null) ?? splitAttr;
            int[] sizes;
            if (split is not null) sizes = ToInts(split);
            else
            {
                // Equal parts; with num_outputs (opset 18) the last part may be smaller.
                int part = (n + outputs - 1) / outputs;
                sizes = [.. Enumerable.Range(0, outputs).Select(i => Math.Max(0, Math.Min(part, n - i * part)))];
            }
            if (sizes.Sum() != n) throw c.Fail($"split sizes [{string.Join(", ", sizes)}] do not add up to {n}.");
            var result = new OnnxValue[sizes.Length];
            int start = 0;
            for (int i = 0; i < sizes.Length; i++)
            {
                result[i] = SliceAxis(x, axis, start, sizes[i], 1);
                start += sizes[i];
            }
            return result;
        };
    }

    /// <summary>count elements from start with step along axis.</summary>
    private static OnnxValue SliceAxis(OnnxValue x, int axis, int start, int count, int step)
    {
        if (x.IsFloat && step > 0) return OnnxValue.Float(Ops.Slice(x.Floats!, axis, start, start + count * step - (step - 1), step));
        int[] starts = new int[x.Rank], steps = Enumerable.Repeat(1, x.Rank).ToArray(), shape = (int[])x.Shape.Clone();
        starts[axis] = start;
        steps[axis] = step;
        shape[axis] = count;
        int[] map = OnnxIndexMaps.Slice(x.Shape, starts, steps, shape);
        return x.IsFloat ? OnnxValue.Float(OnnxOps.Gather("slice", x.Floats!, map, shape)) : OnnxValue.Int(OnnxIndexMaps.Apply(x.Ints!, map), shape, x.Type);
    }

    private static OnnxKernel Slice(OnnxNodeContext c)
    {
        long[]? attrStarts = c.Ints("starts"), attrEnds = c.Ints("ends"), attrAxes = c.Ints("axes");
        bool fromInputs = c.Opset >= 10;
        return inputs =>
        {
            OnnxValue x = inputs[0]!;
            long[] starts = (fromInputs ? OptionalInts(inputs, 1) : attrStarts) ?? throw c.Fail("starts are required.");
            long[] ends = (fromInputs ? OptionalInts(inputs, 2) : attrEnds) ?? throw c.Fail("ends are required.");
            long[] axes = (fromInputs ? OptionalInts(inputs, 3) : attrAxes) ?? [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
            long[] steps = (fromInputs ? OptionalInts(inputs, 4) : null) ?? Enumerable.Repeat(1L, starts.Length).ToArray();
            OnnxValue y = x;
            for (int i = 0; i < starts.Length; i++)
            {
                int axis = Axis(axes[i], x.Rank, c);
                long dim = x.Shape[axis], step = steps[i];
                if (step == 0) throw c.Fail("a step of 0 is not allowed.");
                long s = starts[i] < 0 ? starts[i] + dim : starts[i];
                long e = ends[i] < 0 ? ends[i] + dim : ends[i];
                if (step > 0) { s = Math.Clamp(s, 0, dim); e = Math.Clamp(e, 0, dim); }
                else { s = Math.Clamp(s, 0, dim - 1); e = Math.Clamp(e, -1, dim - 1); }
                long count = step > 0 ? Math.Max(0, (e - s + step - 1) / step) : Math.Max(0, (s - e + (-step) - 1) / -step);
                if (s == 0 && step == 1 && count == dim) continue;
                y = SliceAxis(y, axis, (int)s, (int)count, (int)step);
            }
            return One(y);
        };
    }

    private static OnnxKernel Pad(OnnxNodeContext c)
    {
        string mode = c.String("mode", "constant");
        if (mode is not ("constant" or "edge" or "reflect")) throw c.Fail($"Pad mode '{mode}' is not supported.", "constant, edge and reflect are.");
        if (c.Opset < 11) throw c.Fail("Pad before opset 11 (pads as an attribute) is not supported.");
        return inputs =>
        {
            OnnxValue x = inputs[0]!;
            long[] pads = inputs[1]!.AsInts();
            float value = inputs.Length > 2 && inputs[2] is { } v ? v.AsFloat().Data[0] : 0f;
            int rank = x.Rank;
            int[] full = new int[2 * rank];
            long[]? axes = OptionalInts(inputs, 3);
            if (axes is null) full = ToInts(pads);
            else
                for (int i = 0; i < axes.Length; i++)
                {
                    int a = Axis(axes[i], rank, c);
                    full[a] = (int)pads[i];
                    full[rank + a] = (int)pads[axes.Length + i];
                }
            if (full.Any(p => p < 0)) throw c.Fail("negative pads are not supported.");
            int[] map = OnnxIndexMaps.Pad(x.Shape, full, out int[] shape, mode);
            return x.IsFloat ? One(OnnxOps.Gather("pad", x.Floats!, map, shape, value))
                : One(OnnxValue.Int(OnnxIndexMaps.Apply(x.Ints!, map, (long)value), shape, x.Type));
        };
    }

    private static OnnxKernel Constant(OnnxNodeContext c)
    {
        OnnxValue value;
        if (c.Tensor("value") is { } tp) value = OnnxTensorReader.Read(tp, c.File, null);
        else if (c.Has("value_float")) value = OnnxValue.Float(Tensor.Scalar(c.Float("value_float", 0f)));
        else if (c.Floats("value_floats") is { } fs) value = OnnxValue.Float(Tensor.FromArray(fs, fs.Length));
        else if (c.Has("value_int")) value = OnnxValue.Int([c.Int("value_int", 0)], []);
        else if (c.Ints("value_ints") is { } ls) value = OnnxValue.Int(ls, [ls.Length]);
        else throw c.Fail("Constant has no supported value attribute (value, value_float(s), value_int(s)).");
        return _ => One(value);
    }
}
