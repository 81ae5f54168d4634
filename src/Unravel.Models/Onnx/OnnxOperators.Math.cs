// Elementwise ONNX operators: arithmetic with broadcasting, comparisons, pointwise activations, Where and Cast.

namespace Unravel.Models.Onnx;

internal static partial class OnnxOperators
{
    private static void AddMath(Dictionary<string, Func<OnnxNodeContext, OnnxKernel>> t)
    {
        t["Add"] = _ => Arith(Ops.Add, (a, b) => a + b);
        t["Sub"] = _ => Arith(Ops.Sub, (a, b) => a - b);
        t["Mul"] = _ => Arith(Ops.Mul, (a, b) => a * b);
        t["Div"] = _ => Arith(Ops.Div, (a, b) => b == 0 ? 0 : a / b);
        t["Pow"] = _ => Pow;
        t["Equal"] = _ => Compare((a, b) => a == b);
        t["Less"] = _ => Compare((a, b) => a < b);
        t["LessOrEqual"] = _ => Compare((a, b) => a <= b);
        t["Greater"] = _ => Compare((a, b) => a > b);
        t["GreaterOrEqual"] = _ => Compare((a, b) => a >= b);
        t["Not"] = _ => inputs => One(OnnxValue.Int(Array.ConvertAll(inputs[0]!.AsInts(), v => v == 0 ? 1L : 0L), inputs[0]!.Shape, OnnxElementType.Bool));
        t["And"] = _ => Compare((a, b) => a != 0 && b != 0);
        t["Or"] = _ => Compare((a, b) => a != 0 || b != 0);
        t["Xor"] = _ => Compare((a, b) => (a != 0) != (b != 0));
        t["Where"] = _ => Where;
        t["Cast"] = Cast;

        t["Relu"] = _ => inputs => One(Ops.Relu(inputs[0]!.AsFloat()));
        t["Sigmoid"] = _ => inputs => One(Ops.Sigmoid(inputs[0]!.AsFloat()));
        t["Tanh"] = _ => inputs => One(Ops.Tanh(inputs[0]!.AsFloat()));
        t["Neg"] = _ => inputs => inputs[0]!.IsFloat
            ? One(OnnxOps.Pointwise("neg", inputs[0]!.Floats!, x => -x, (_, _) => -1f))
            : One(OnnxValue.Int(Array.ConvertAll(inputs[0]!.Ints!, v => -v), inputs[0]!.Shape, inputs[0]!.Type));
        t["Abs"] = _ => Unary("abs", MathF.Abs, (x, _) => x > 0 ? 1f : x < 0 ? -1f : 0f);
        t["Exp"] = _ => Unary("exp", MathF.Exp, (_, y) => y);
        t["Log"] = _ => Unary("log", MathF.Log, (x, _) => 1f / x);
        t["Sqrt"] = _ => Unary("sqrt", MathF.Sqrt, (_, y) => 0.5f / y);
        t["Reciprocal"] = _ => Unary("reciprocal", x => 1f / x, (_, y) => -y * y);
        t["Erf"] = _ => Unary("erf", Erf, (x, _) => 2f / MathF.Sqrt(MathF.PI) * MathF.Exp(-x * x));
        t["Floor"] = _ => Unary("floor", MathF.Floor, (_, _) => 0f);
        t["Ceil"] = _ => Unary("ceil", MathF.Ceiling, (_, _) => 0f);
        t["Softplus"] = _ => Unary("softplus", x => x > 20f ? x : MathF.Log(1f + MathF.Exp(x)), (x, _) => 1f / (1f + MathF.Exp(-x)));
        t["LeakyRelu"] = c =>
        {
            float alpha = c.Float("alpha", 0.01f);
            return Unary("leaky_relu", x => x >= 0 ? x : alpha * x, (x, _) => x >= 0 ? 1f : alpha);
        };
        t["HardSigmoid"] = c =>
        {
            float alpha = c.Float("alpha", 0.2f), beta = c.Float("beta", 0.5f);
            return Unary("hard_sigmoid", x => Math.Clamp(alpha * x + beta, 0f, 1f),
                (x, _) => alpha * x + beta is > 0f and < 1f ? alpha : 0f);
        };
        // HardSwish(x) = x · HardSigmoid(x) with α = 1/6, β = 1/2 (MobileNetV3).
        t["HardSwish"] = _ => Unary("hard_swish", x => x * Math.Clamp(x / 6f + 0.5f, 0f, 1f),
            (x, _) => x <= -3f ? 0f : x >= 3f ? 1f : x / 3f + 0.5f);
        t["Clip"] = Clip;
        t["Gelu"] = c =>
        {
            string approx = c.String("approximate", "none");
            GeluApproximation mode = approx switch
            {
                "none" => GeluApproximation.Erf,
                "tanh" => GeluApproximation.Tanh,
                _ => throw c.Fail($"approximate='{approx}' is not one of 'none', 'tanh'."),
            };
            return inputs => One(Ops.Gelu(inputs[0]!.AsFloat(), mode));
        };
    }

    private static OnnxKernel Unary(string op, Func<float, float> f, Func<float, float, float> df) =>
        inputs => One(OnnxOps.Pointwise(op, inputs[0]!.AsFloat(), f, df));

    private static OnnxKernel Arith(Func<Tensor, Tensor, Tensor> floatOp, Func<long, long, long> intOp) => inputs =>
    {
        OnnxValue a = inputs[0]!, b = inputs[1]!;
        if (a.IsFloat || b.IsFloat) return One(floatOp(a.AsFloat(), b.AsFloat()));
        return One(IntBinary(a, b, intOp, a.Type));
    };

    private static OnnxKernel Compare(Func<double, double, bool> cmp) => inputs =>
    {
        OnnxValue a = inputs[0]!, b = inputs[1]!;
        int[] shape = ShapeRules.Broadcast(a.Shape, b.Shape, "compare");
        int[] ma = OnnxIndexMaps.Broadcast(a.Shape, shape), mb = OnnxIndexMaps.Broadcast(b.Shape, shape);
        long[] y = new long[ma.Length];
        if (a.IsFloat || b.IsFloat)
        {
            float[] av = a.AsFloat().ToArray(), bv = b.AsFloat().ToArray();
            for (int i = 0; i < y.Length; i++) y[i] = cmp(av[ma[i]], bv[mb[i]]) ? 1 : 0;
        }
        else
        {
            long[] av = a.Ints!, bv = b.Ints!;
            for (int i = 0; i < y.Length; i++) y[i] = cmp(av[ma[i]], bv[mb[i]]) ? 1 : 0;
        }
        return One(OnnxValue.Int(y, shape, OnnxElementType.Bool));
    };

    private static OnnxValue IntBinary(OnnxValue a, OnnxValue b, Func<long, long, long> op, OnnxElementType type)
    {
        int[] shape = ShapeRules.Broadcast(a.Shape, b.Shape, "onnx");
        int[] ma = OnnxIndexMaps.Broadcast(a.Shape, shape), mb = OnnxIndexMaps.Broadcast(b.Shape, shape);
        long[] av = a.Ints!, bv = b.Ints!, y = new long[ma.Length];
        for (int i = 0; i < y.Length; i++) y[i] = op(av[ma[i]], bv[mb[i]]);
        return OnnxValue.Int(y, shape, type);
    }

    /// <summary>Broadcasts a float tensor to <paramref name="shape"/> (no copy when it already has it).</summary>
    private static Tensor ExpandTo(Tensor x, int[] shape) =>
        x.Shape.SequenceEqual(shape) ? x : OnnxOps.Gather("expand", x, OnnxIndexMaps.Broadcast(x.Shape.ToArray(), shape), shape);

    private static OnnxValue[] Pow(OnnxValue?[] inputs)
    {
        OnnxValue a = inputs[0]!, b = inputs[1]!;
        if (!a.IsFloat && !b.IsFloat)
            return One(IntBinary(a, b, (x, y) => (long)Math.Pow(x, y), a.Type));
        Tensor x = a.AsFloat();
        if (b.Length == 1 && !b.AsFloat().IsTracked && b.Rank <= x.Rank)
        {
            float p = b.AsFloat().Data[0];
            Tensor y = OnnxOps.Pointwise("pow", x, v => p == 2f ? v * v : MathF.Pow(v, p), (v, _) => p == 2f ? 2f * v : p * MathF.Pow(v, p - 1f));
            return One(y);
        }
        Tensor e = b.AsFloat();
        int[] shape = ShapeRules.Broadcast(x.Shape, e.Shape, "pow");
        return One(OnnxOps.Binary("pow", ExpandTo(x, shape), ExpandTo(e, shape), MathF.Pow,
            (u, v, _) => v * MathF.Pow(u, v - 1f), (u, _, y) => y * MathF.Log(u)));
    }

    private static OnnxValue[] Where(OnnxValue?[] inputs)
    {
        OnnxValue cond = inputs[0]!, a = inputs[1]!, b = inputs[2]!;
        int[] shape = ShapeRules.Broadcast(ShapeRules.Broadcast(cond.Shape, a.Shape, "where"), b.Shape, "where");
        long[] cv = cond.AsInts();
        int[] mc = OnnxIndexMaps.Broadcast(cond.Shape, shape);
        bool[] pick = new bool[mc.Length];
        for (int i = 0; i < pick.Length; i++) pick[i] = cv[mc[i]] != 0;
        if (a.IsFloat || b.IsFloat)
            return One(OnnxOps.Select(pick, ExpandTo(a.AsFloat(), shape), ExpandTo(b.AsFloat(), shape)));
        int[] ma = OnnxIndexMaps.Broadcast(a.Shape, shape), mb = OnnxIndexMaps.Broadcast(b.Shape, shape);
        long[] y = new long[pick.Length];
        for (int i = 0; i < y.Length; i++) y[i] = pick[i] ? a.Ints![ma[i]] : b.Ints![mb[i]];
        return One(OnnxValue.Int(y, shape, a.Type));
    }

    private static OnnxKernel Cast(OnnxNodeContext c)
    {
        var to = (OnnxElementType)c.Int("to", 0);
        bool toFloat = to is OnnxElementType.Float or OnnxElementType.Double or OnnxElementType.Float16 or OnnxElementType.BFloat16;
        bool toInt = to is OnnxElementType.Int64 or OnnxElementType.Int32 or OnnxElementType.Int16 or OnnxElementType.Int8
            or OnnxElementType.UInt8 or OnnxElementType.UInt16 or OnnxElementType.UInt32 or OnnxElementType.Bool;
        if (!toFloat && !toInt) throw c.Fail($"Cast to {to} is not supported.", "the engine computes in float32 and integers.");
        return inputs =>
        {
            OnnxValue x = inputs[0]!;
            if (to == OnnxElementType.Float16)
                return One(OnnxOps.Pointwise("cast_f16", x.AsFloat(), v => (float)(Half)v, (_, _) => 1f));
            if (to == OnnxElementType.BFloat16)
                return One(OnnxOps.Pointwise("cast_bf16", x.AsFloat(), RoundToBFloat16, (_, _) => 1f));
            if (toFloat) return One(x.AsFloat());
            long[] v = x.IsFloat ? Array.ConvertAll(x.Floats!.ToArray(), f => to == OnnxElementType.Bool ? (f != 0 ? 1L : 0L) : (long)f) : x.Ints!;
            if (to == OnnxElementType.Bool && !x.IsFloat) v = Array.ConvertAll(v, i => i != 0 ? 1L : 0L);
            return One(OnnxValue.Int(v, x.Shape, to));
        };
    }

    private static OnnxKernel Clip(OnnxNodeContext c)
    {
        float? attrMin = c.Has("min") ? c.Float("min", 0f) : null, attrMax = c.Has("max") ? c.Float("max", 0f) : null;
        return inputs =>
        {
            float lo = inputs.Length > 1 && inputs[1] is { } mn ? mn.AsFloat().Data[0] : attrMin ?? float.NegativeInfinity;
            float hi = inputs.Length > 2 && inputs[2] is { } mx ? mx.AsFloat().Data[0] : attrMax ?? float.PositiveInfinity;
            OnnxValue x = inputs[0]!;
            if (!x.IsFloat)
                return One(OnnxValue.Int(Array.ConvertAll(x.Ints!, v => (long)Math.Min(Math.Max(v, lo), hi)), x.Shape, x.Type));
            return One(OnnxOps.Pointwise("clip", x.Floats!, v => MathF.Min(MathF.Max(v, lo), hi), (v, _) => v >= lo && v <= hi ? 1f : 0f));
        };
    }

    /// <summary>Rounds to the nearest bfloat16 (ties to even), as a float.</summary>
    private static float RoundToBFloat16(float v)
    {
        if (float.IsNaN(v)) return v;
        uint bits = BitConverter.SingleToUInt32Bits(v);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000);
    }

    /// <summary>The error function, in double precision: a Maclaurin series for |x| &lt; 2, the continued fraction of
    /// erfc beyond (Abramowitz and Stegun 1964, 7.1.5 and 7.1.14).</summary>
    internal static float Erf(float xf)
    {
        double x = Math.Abs((double)xf);
        double r;
        if (x < 2.0)
        {
            double term = x, sum = x, x2 = x * x;
            for (int n = 1; n < 60; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            r = 2.0 / Math.Sqrt(Math.PI) * sum;
        }
        else if (x > 6.0) r = 1.0;
        else
        {
            // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated from the tail.
            double f = x;
            for (int k = 60; k >= 1; k--) f = x + k / 2.0 / f;
            r = 1.0 - Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
        }
        return (float)(xf < 0 ? -r : r);
    }
}
