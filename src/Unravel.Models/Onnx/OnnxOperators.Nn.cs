// Network ONNX operators: Conv, ConvTranspose, Gemm, MatMul, pooling, normalisation, Softmax, reductions, Dropout.
// 1-D convolutions and pools run as 2-D ones over a unit height; asymmetric padding becomes an explicit pad.

namespace Unravel.Models.Onnx;

internal static partial class OnnxOperators
{
    private static void AddNn(Dictionary<string, Func<OnnxNodeContext, OnnxKernel>> t)
    {
        t["Conv"] = Conv;
        t["ConvTranspose"] = ConvTranspose;
        t["MaxPool"] = c => Pool(c, max: true);
        t["AveragePool"] = c => Pool(c, max: false);
        t["GlobalAveragePool"] = _ => inputs =>
        {
            Tensor x = inputs[0]!.AsFloat();
            // Images go through the op the native models' avgpool uses, so LRP gives it the same (pooling) rule.
            return One(x.Rank == 4 ? Ops.AdaptiveAvgPool2d(x, (1, 1)) : Ops.Mean(x, [.. Enumerable.Range(2, x.Rank - 2)], keepDim: true));
        };
        t["GlobalMaxPool"] = _ => inputs =>
        {
            Tensor x = inputs[0]!.AsFloat();
            int[] keep = [.. x.Shape[..2].ToArray(), .. Enumerable.Repeat(1, x.Rank - 2)];
            return One(Ops.Max(x.Reshape(x.Dim(0), x.Dim(1), -1), 2, keepDim: true).Reshape(keep));
        };
        t["MatMul"] = c => inputs =>
        {
            Tensor a = inputs[0]!.AsFloat(), b = inputs[1]!.AsFloat();
            Tensor y = Ops.MatMul(a, b);
            // A constant [In, Out] weight makes it a dense layer for LRP.
            return One(y.IsTracked && b.Rank == 2 && !b.IsTracked ? Tag(y, "matmul", new OnnxAffineNode(c.Name, "MatMul", null)) : y);
        };
        t["Gemm"] = Gemm;
        t["BatchNormalization"] = BatchNormalization;
        t["LayerNormalization"] = LayerNormalization;
        t["Softmax"] = c => SoftmaxLike(c, Ops.Softmax);
        t["LogSoftmax"] = c => SoftmaxLike(c, Ops.LogSoftmax);
        t["ReduceMean"] = c => Reduce(c, Ops.Mean, axesAsInputFrom: 18);
        t["ReduceSum"] = c => Reduce(c, Ops.Sum, axesAsInputFrom: 13);
        t["ReduceMax"] = c => Reduce(c, ReduceMax, axesAsInputFrom: 18);
        t["ReduceMin"] = c => Reduce(c, (x, axes, keep) => Ops.Mul(ReduceMax(Ops.Mul(x, Tensor.Scalar(-1f)), axes, keep), Tensor.Scalar(-1f)),
            axesAsInputFrom: 18);
        t["Dropout"] = c =>
        {
            if (c.InputCount > 2 && c.Node.Input[2].Length > 0)
                return inputs => inputs[2] is { } tm && tm.AsInts()[0] != 0
                    ? throw c.Fail("training_mode=true is not supported.", "export the model in eval mode.")
                    : DropoutOutputs(inputs[0]!);
            return inputs => DropoutOutputs(inputs[0]!);
        };
    }

    /// <summary>Tags the tape node that produced <paramref name="y"/> (when it is the last one and has op
    /// <paramref name="op"/>) with <paramref name="owner"/>, so LRP can choose its rule as for a native layer.</summary>
    private static Tensor Tag(Tensor y, string op, object owner)
    {
        if (y.Tape is { } tape && tape.Nodes.Count > 0 && tape.Nodes[^1] is { } node && ReferenceEquals(node.Output, y) && node.Op == op)
            node.Owner = owner;
        return y;
    }

    /// <summary>Max over several axes, one engine reduction per axis (highest axis first so indices stay valid).</summary>
    private static Tensor ReduceMax(Tensor x, int[]? axes, bool keep)
    {
        int[] order = [.. (axes ?? [.. Enumerable.Range(0, x.Rank)]).Distinct().OrderDescending()];
        Tensor y = x;
        foreach (int a in order) y = Ops.Max(y, a, keepDim: keep);
        return y;
    }

    private static OnnxValue[] DropoutOutputs(OnnxValue x) =>
        [x, OnnxValue.Int(Enumerable.Repeat(1L, x.Length).ToArray(), x.Shape, OnnxElementType.Bool)];

    /// <summary>Begin/end pads per spatial axis from pads or auto_pad, for input sizes <paramref name="size"/>.</summary>
    internal static (int[] Begin, int[] End) Pads(OnnxNodeContext c, string autoPad, long[]? pads, int[] size, int[] kernel,
        int[] stride, int[] dilation)
    {
        int r = size.Length;
        int[] begin = new int[r], end = new int[r];
        for (int i = 0; i < r; i++)
        {
            switch (autoPad)
            {
                case "NOTSET":
                    if (pads is not null) { begin[i] = (int)pads[i]; end[i] = (int)pads[r + i]; }
                    break;
                case "VALID":
                    break;
                case "SAME_UPPER" or "SAME_LOWER":
                    int outSize = (size[i] + stride[i] - 1) / stride[i];
                    int total = Math.Max(0, (outSize - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - size[i]);
                    int small = total / 2, large = total - small;
                    (begin[i], end[i]) = autoPad == "SAME_UPPER" ? (small, large) : (large, small);
                    break;
                default:
                    throw c.Fail($"auto_pad '{autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER.");
            }
        }
        return (begin, end);
    }

    internal static int[] AttrInts(OnnxNodeContext c, string name, int rank, int fallback) =>
        c.Ints(name) is { } v ? (v.Length == rank ? ToInts(v) : throw c.Fail($"{name} has {v.Length} values, expected {rank}.")) : Enumerable.Repeat(fallback, rank).ToArray();

    /// <summary>Pads the spatial axes of [N, C, ...] explicitly with <paramref name="fill"/>.</summary>
    private static Tensor PadSpatial(Tensor x, int[] begin, int[] end, float fill)
    {
        int rank = x.Rank, r = begin.Length;
        int[] pads = new int[2 * rank];
        for (int i = 0; i < r; i++) { pads[rank - r + i] = begin[i]; pads[2 * rank - r + i] = end[i]; }
        int[] map = OnnxIndexMaps.Pad(x.Shape.ToArray(), pads, out int[] shape);
        return OnnxOps.Gather("pad", x, map, shape, fill);
    }

    private static OnnxKernel Conv(OnnxNodeContext c)
    {
        ConvPlan plan = PlanConv(c);
        return inputs =>
        {
            Tensor x = inputs[0]!.AsFloat(), w = inputs[1]!.AsFloat();
            Tensor? b = inputs.Length > 2 ? inputs[2]?.AsFloat() : null;
            int r = x.Rank - 2;
            if (r is not (1 or 2)) throw c.Fail($"{r}-D convolution is not supported (input {x.ShapeString}).", "1-D and 2-D convolutions are.");
            if (r == 2) return One(plan(x, w, b, null, null, null, false, 2));
            Tensor y = plan(x.Reshape(x.Dim(0), x.Dim(1), 1, x.Dim(2)), w.Reshape(w.Dim(0), w.Dim(1), 1, w.Dim(2)), b, null, null, null, false, 1);
            return One(y.Reshape(y.Dim(0), y.Dim(1), y.Dim(3)));
        };
    }

    /// <summary>Runs a 2-D convolution of [N, C, H, W] with an optional fused epilogue act(conv · scale + shift + residual);
    /// <paramref name="r"/> is the node's spatial rank (1: the input carries a unit height the attributes do not describe).</summary>
    internal delegate Tensor ConvPlan(Tensor x, Tensor w, Tensor? b, Tensor? scale, Tensor? shift, Tensor? residual, bool relu, int r);

    /// <summary>The 2-D convolution of a Conv node (1-D ones arrive with a unit height): its attributes read once, the
    /// padding resolved per input size. With an epilogue it is <see cref="Ops.Conv2dAffine"/>, the op the native
    /// ResNet blocks fuse into, so an imported graph reaches the same packed, Winograd and epilogue kernels.</summary>
    internal static ConvPlan PlanConv(OnnxNodeContext c)
    {
        string autoPad = c.String("auto_pad", "NOTSET");
        int groups = (int)c.Int("group", 1);
        long[]? pads = c.Ints("pads"), kernelAttr = c.Ints("kernel_shape");
        return (x, w, b, scale, shift, residual, relu, r) =>
        {
            int[] kernel = kernelAttr is null ? w.Shape[(4 - r)..].ToArray() : ToInts(kernelAttr);
            int[] stride = AttrInts(c, "strides", r, 1), dilation = AttrInts(c, "dilations", r, 1);
            int[] size = x.Shape[(4 - r)..].ToArray();
            (int[] begin, int[] end) = Pads(c, autoPad, pads, size, kernel, stride, dilation);
            if (r == 1)
            {
                (stride, dilation, begin, end) = ([1, stride[0]], [1, dilation[0]], [0, begin[0]], [0, end[0]]);
            }
            if (!begin.SequenceEqual(end))
            {
                x = PadSpatial(x, begin, end, 0f);
                begin = new int[2];
            }
            var options = new Conv2dOptions
            {
                Stride = (stride[0], stride[1]),
                Padding = (begin[0], begin[1]),
                Dilation = (dilation[0], dilation[1]),
                Groups = groups,
            };
            if (scale is not null || residual is not null || relu) return Ops.Conv2dAffine(x, w, b, options, scale, shift, residual, relu);
            Tensor y = Ops.Conv2d(x, w, b, options);
            return y.IsTracked ? Tag(y, "conv2d", new OnnxAffineNode(c.Name, "Conv", options)) : y;
        };
    }

    private static OnnxKernel ConvTranspose(OnnxNodeContext c)
    {
        string autoPad = c.String("auto_pad", "NOTSET");
        int groups = (int)c.Int("group", 1);
        long[]? pads = c.Ints("pads"), outputShape = c.Ints("output_shape"), outputPadding = c.Ints("output_padding");
        return inputs =>
        {
            Tensor x = inputs[0]!.AsFloat(), w = inputs[1]!.AsFloat();
            Tensor? b = inputs.Length > 2 ? inputs[2]?.AsFloat() : null;
            int r = x.Rank - 2;
            if (r is not (1 or 2)) throw c.Fail($"{r}-D transposed convolution is not supported (input {x.ShapeString}).");
            int[] kernel = w.Shape[2..].ToArray();
            int[] stride = AttrInts(c, "strides", r, 1), dilation = AttrInts(c, "dilations", r, 1);
            int[] outPad = outputPadding is null ? new int[r] : ToInts(outputPadding);
            int[] begin = new int[r], outSize = new int[r];
            for (int i = 0; i < r; i++)
            {
                int size = x.Dim(2 + i), span = (kernel[i] - 1) * dilation[i] + 1;
                int full = stride[i] * (size - 1) + outPad[i] + span;
                if (outputShape is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
                {
                    int target = outputShape is not null ? (int)outputShape[outputShape.Length - r + i] : size * stride[i];
                    int total = full - target;
                    int half = (int)Math.Floor(total / 2.0);   // Python's floor division, as the ONNX reference
                    begin[i] = autoPad == "SAME_UPPER" ? half : total - half;
                    outSize[i] = target;
                }
                else
                {
                    int pb = pads is null ? 0 : (int)pads[i], pe = pads is null ? 0 : (int)pads[r + i];
                    begin[i] = pb;
                    outSize[i] = full - pb - pe;
                }
            }
            if (r == 1)
            {
                Tensor y1 = OnnxOps.ConvTranspose2d(x.Reshape(x.Dim(0), x.Dim(1), 1, x.Dim(2)), w.Reshape(w.Dim(0), w.Dim(1), 1, w.Dim(2)), b,
                    (1, stride[0]), (0, begin[0]), (1, dilation[0]), groups, (1, outSize[0]));
                return One(y1.Reshape(y1.Dim(0), y1.Dim(1), y1.Dim(3)));
            }
            return One(OnnxOps.ConvTranspose2d(x, w, b, (stride[0], stride[1]), (begin[0], begin[1]), (dilation[0], dilation[1]),
                groups, (outSize[0], outSize[1])));
        };
    }

    private static OnnxKernel Pool(OnnxNodeContext c, bool max)
    {
        string autoPad = c.String("auto_pad", "NOTSET");
        long[] kernelAttr = c.Ints("kernel_shape") ?? throw c.Fail("kernel_shape is required.");
        long[]? pads = c.Ints("pads");
        bool ceil = c.Int("ceil_mode", 0) != 0, includePad = c.Int("count_include_pad", 0) != 0;
        if (max && c.WantsOutput(1)) throw c.Fail("the Indices output of MaxPool is not supported.");
        if (max && c.Int("storage_order", 0) != 0) throw c.Fail("storage_order=1 is not supported.");
        int r = kernelAttr.Length;
        if (r is not (1 or 2)) throw c.Fail($"{r}-D pooling is not supported.", "1-D and 2-D pooling are.");
        int[] kernel = ToInts(kernelAttr), stride = AttrInts(c, "strides", r, 1), dilation = AttrInts(c, "dilations", r, 1);
        if (!max && dilation.Any(d => d != 1)) throw c.Fail("dilated AveragePool is not supported.");
        return inputs =>
        {
            Tensor x = inputs[0]!.AsFloat();
            (int[] begin, int[] end) = Pads(c, autoPad, pads, x.Shape[2..].ToArray(), kernel, stride, dilation);
            bool explicitPad = !begin.SequenceEqual(end) || begin.Select((b, i) => 2 * b > kernel[i]).Any(big => big);
            Tensor? counts = null;
            if (explicitPad)
            {
                if (!max && !includePad)
                {
                    // Average over real elements only: pool the zero-padded sums and divide by the pooled count of ones.
                    counts = PadSpatial(Tensor.Full(1f, x.Shape.ToArray()), begin, end, 0f);
                }
                x = PadSpatial(x, begin, end, max ? float.NegativeInfinity : 0f);
                begin = new int[r];
            }
            if (r == 1)
            {
                x = x.Reshape(x.Dim(0), x.Dim(1), 1, x.Dim(2));
                counts = counts?.Reshape(x.Shape.ToArray());
            }
            (int, int) k = r == 1 ? (1, kernel[0]) : (kernel[0], kernel[1]);
            (int, int) s = r == 1 ? (1, stride[0]) : (stride[0], stride[1]);
            (int, int) p = r == 1 ? (0, begin[0]) : (begin[0], begin[1]);
            (int, int) d = r == 1 ? (1, dilation[0]) : (dilation[0], dilation[1]);
            Tensor y = max ? Ops.MaxPool2d(x, k, s, p, d, ceil)
                : counts is null ? Ops.AvgPool2d(x, k, s, p, ceil, includePad)
                : Ops.Div(Ops.AvgPool2d(x, k, s, p, ceil, true), Ops.AvgPool2d(counts, k, s, p, ceil, true));
            return One(r == 1 ? y.Reshape(y.Dim(0), y.Dim(1), y.Dim(3)) : y);
        };
    }

    private static OnnxKernel Gemm(OnnxNodeContext c)
    {
        float alpha = c.Float("alpha", 1f), beta = c.Float("beta", 1f);
        bool transA = c.Int("transA", 0) != 0, transB = c.Int("transB", 0) != 0;
        return inputs =>
        {
            Tensor a = inputs[0]!.AsFloat(), b = inputs[1]!.AsFloat();
            Tensor? cc = inputs.Length > 2 ? inputs[2]?.AsFloat() : null;
            if (transA) a = Ops.Transpose(a, 0, 1);
            // The common export (torch Linear): x · Wᵀ + b in one fused engine op.
            if (transB && alpha == 1f && beta == 1f && (cc is null || (cc.Rank == 1 && cc.Dim(0) == b.Dim(0))))
            {
                Tensor linear = Ops.Linear(a, b, cc);
                return One(linear.IsTracked ? Tag(linear, "linear", new OnnxAffineNode(c.Name, "Gemm", null)) : linear);
            }
            Tensor y = Ops.MatMul(a, transB ? Ops.Transpose(b, 0, 1) : b);
            if (alpha != 1f) y = Ops.Mul(y, Tensor.Scalar(alpha));
            if (cc is not null) y = Ops.Add(y, beta == 1f ? cc : Ops.Mul(cc, Tensor.Scalar(beta)));
            return One(y);
        };
    }

    private static OnnxKernel BatchNormalization(OnnxNodeContext c)
    {
        if (c.Int("training_mode", 0) != 0 || c.WantsOutput(1))
            throw c.Fail("training-mode batch normalisation is not supported.", "export the model in eval mode.");
        float eps = c.Float("epsilon", 1e-5f);
        return inputs =>
        {
            Tensor x = inputs[0]!.AsFloat();
            int[] shape = x.Shape.ToArray();
            Tensor x4 = x.Rank == 4 ? x : x.Reshape(shape[0], shape[1], x.Rank > 2 ? ShapeRules.Count(shape.AsSpan(2)) : 1, 1);
            Tensor mean = inputs[3]!.AsFloat(), variance = inputs[4]!.AsFloat();
            Tensor y = Ops.BatchNorm2d(x4, inputs[1]!.AsFloat(), inputs[2]!.AsFloat(), mean, variance, training: false, eps: eps);
            if (y.IsTracked) Tag(y, "batch_norm2d", new OnnxBatchNormNode(c.Name, mean, variance, eps));
            return One(x.Rank == 4 ? y : y.Reshape(shape));
        };
    }

    private static OnnxKernel LayerNormalization(OnnxNodeContext c)
    {
        long axisAttr = c.Int("axis", -1);
        float eps = c.Float("epsilon", 1e-5f);
        return inputs =>
        {
            Tensor x = inputs[0]!.AsFloat(), scale = inputs[1]!.AsFloat();
            Tensor? bias = inputs.Length > 2 ? inputs[2]?.AsFloat() : null;
            int axis = Axis(axisAttr, x.Rank, c), dims = x.Rank - axis;
            ReadOnlySpan<int> norm = x.Shape[axis..];
            Tensor y = scale.Shape.SequenceEqual(norm) && (bias is null || bias.Shape.SequenceEqual(norm))
                ? Ops.LayerNorm(x, scale, bias, eps, dims)
                : Ops.Mul(Ops.LayerNorm(x, null, null, eps, dims), scale);
            if (bias is not null && !bias.Shape.SequenceEqual(norm)) y = Ops.Add(y, bias);
            if (!c.WantsOutput(1) && !c.WantsOutput(2)) return One(y);
            return [OnnxValue.Float(y), .. LayerNormStatistics(x, axis, eps)];
        };
    }

    /// <summary>The Mean and InvStdDev outputs of LayerNormalization (not differentiated), shaped [..axis, 1, ...].</summary>
    private static OnnxValue[] LayerNormStatistics(Tensor x, int axis, float eps)
    {
        int rows = ShapeRules.Count(x.Shape[..axis]), cols = ShapeRules.Count(x.Shape[axis..]);
        int[] shape = [.. x.Shape[..axis].ToArray(), .. Enumerable.Repeat(1, x.Rank - axis)];
        float[] mean = new float[rows], inv = new float[rows];
        ReadOnlySpan<float> d = x.Data;
        for (int r = 0; r < rows; r++)
        {
            double s = 0, s2 = 0;
            for (int i = 0; i < cols; i++) s += d[r * cols + i];
            double m = s / cols;
            for (int i = 0; i < cols; i++) { double v = d[r * cols + i] - m; s2 += v * v; }
            mean[r] = (float)m;
            inv[r] = (float)(1.0 / Math.Sqrt(s2 / cols + eps));
        }
        return [OnnxValue.Float(Tensor.FromArray(mean, shape)), OnnxValue.Float(Tensor.FromArray(inv, shape))];
    }

    private static OnnxKernel SoftmaxLike(OnnxNodeContext c, Func<Tensor, int, Tensor> op)
    {
        bool coerce2d = c.Opset < 13;
        long axisAttr = c.Int("axis", coerce2d ? 1 : -1);
        return inputs =>
        {
            Tensor x = inputs[0]!.AsFloat();
            int axis = Axis(axisAttr, x.Rank, c);
            if (!coerce2d) return One(op(x, axis));
            // Opsets below 13 flatten to [outer, inner] at the axis and normalise each row.
            int[] shape = x.Shape.ToArray();
            Tensor y = op(x.Reshape(ShapeRules.Count(shape.AsSpan(0, axis)), ShapeRules.Count(shape.AsSpan(axis))), 1);
            return One(y.Reshape(shape));
        };
    }

    private static OnnxKernel Reduce(OnnxNodeContext c, Func<Tensor, int[]?, bool, Tensor> op, int axesAsInputFrom)
    {
        bool keep = c.Int("keepdims", 1) != 0, noop = c.Int("noop_with_empty_axes", 0) != 0;
        long[]? attrAxes = c.Ints("axes");
        bool fromInput = c.Opset >= axesAsInputFrom;
        return inputs =>
        {
            Tensor x = inputs[0]!.AsFloat();
            long[]? axes = fromInput ? OptionalInts(inputs, 1) : attrAxes;
            if (axes is null || axes.Length == 0)
            {
                if (noop) return One(x);
                return One(keep ? op(x, [.. Enumerable.Range(0, x.Rank)], true) : op(x, null, false));
            }
            int[] ax = [.. axes.Select(a => Axis(a, x.Rank, c))];
            return One(op(x, ax, keep));
        };
    }
}
