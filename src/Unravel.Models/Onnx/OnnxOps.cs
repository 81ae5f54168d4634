// Differentiable ops that ONNX graphs need and the engine's Ops do not provide: pointwise functions with their
// derivatives (Pow, Sqrt, Erf, Clip, HardSigmoid, HardSwish, …), a flat index gather that carries every layout op
// (Expand, Gather, negative-step Slice, Pad), a same-shape select for Where, and ConvTranspose.
// Each records one tape node with its backward next to the forward (backward accumulates).
// Reference: ONNX operator specifications, https://onnx.ai/onnx/operators/.

using Unravel.Tensors.Autograd;

namespace Unravel.Models.Onnx;

/// <summary>Differentiable ops for the ONNX importer.</summary>
internal static class OnnxOps
{
    /// <summary>y = f(x) elementwise; dx += dy · df(x, y).</summary>
    public static Tensor Pointwise(string op, Tensor x, Func<float, float> f, Func<float, float, float> df)
    {
        Tensor y = Tensor.Zeros(x.Shape.ToArray());
        ReadOnlySpan<float> xd = x.Data;
        Span<float> yd = y.Data;
        for (int i = 0; i < xd.Length; i++) yd[i] = f(xd[i]);
        Tape.Of(x)?.Record(op, y, [x], (node, dy, grads) =>
        {
            Tensor xin = node.Inputs[0];
            if (!grads.Wants(xin)) return;
            Span<float> dx = grads.For(xin).Data;
            ReadOnlySpan<float> xv = xin.Data, yv = node.Output.Data, g = dy.Data;
            for (int i = 0; i < dx.Length; i++) dx[i] += g[i] * df(xv[i], yv[i]);
        });
        return y;
    }

    /// <summary>y = f(a, b) for same-shaped a, b; da += dy · ∂f/∂a, db += dy · ∂f/∂b.</summary>
    public static Tensor Binary(string op, Tensor a, Tensor b, Func<float, float, float> f,
        Func<float, float, float, float> dfa, Func<float, float, float, float> dfb)
    {
        Tensor y = Tensor.Zeros(a.Shape.ToArray());
        ReadOnlySpan<float> ad = a.Data, bd = b.Data;
        Span<float> yd = y.Data;
        for (int i = 0; i < yd.Length; i++) yd[i] = f(ad[i], bd[i]);
        Tape.Of(a, b)?.Record(op, y, [a, b], (node, dy, grads) =>
        {
            Tensor ai = node.Inputs[0], bi = node.Inputs[1];
            ReadOnlySpan<float> av = ai.Data, bv = bi.Data, yv = node.Output.Data, g = dy.Data;
            if (grads.Wants(ai))
            {
                Span<float> da = grads.For(ai).Data;
                for (int i = 0; i < da.Length; i++) da[i] += g[i] * dfa(av[i], bv[i], yv[i]);
            }
            if (grads.Wants(bi))
            {
                Span<float> db = grads.For(bi).Data;
                for (int i = 0; i < db.Length; i++) db[i] += g[i] * dfb(av[i], bv[i], yv[i]);
            }
        });
        return y;
    }

    /// <summary>y[i] = x[map[i]] (or <paramref name="fill"/> where map[i] &lt; 0); dx[map[i]] += dy[i].</summary>
    public static Tensor Gather(string op, Tensor x, int[] map, int[] outShape, float fill = 0f)
    {
        Tensor y = Tensor.Zeros(outShape);
        ReadOnlySpan<float> xd = x.Data;
        Span<float> yd = y.Data;
        for (int i = 0; i < map.Length; i++) yd[i] = map[i] < 0 ? fill : xd[map[i]];
        Tape.Of(x)?.Record(op, y, [x], (node, dy, grads) =>
        {
            Tensor xin = node.Inputs[0];
            if (!grads.Wants(xin)) return;
            Span<float> dx = grads.For(xin).Data;
            ReadOnlySpan<float> g = dy.Data;
            for (int i = 0; i < map.Length; i++)
                if (map[i] >= 0) dx[map[i]] += g[i];
        });
        return y;
    }

    /// <summary>y = cond ? a : b for same-shaped operands; the gradient goes to the chosen side.</summary>
    public static Tensor Select(bool[] cond, Tensor a, Tensor b)
    {
        Tensor y = Tensor.Zeros(a.Shape.ToArray());
        ReadOnlySpan<float> ad = a.Data, bd = b.Data;
        Span<float> yd = y.Data;
        for (int i = 0; i < yd.Length; i++) yd[i] = cond[i] ? ad[i] : bd[i];
        Tape.Of(a, b)?.Record("where", y, [a, b], (node, dy, grads) =>
        {
            Tensor ai = node.Inputs[0], bi = node.Inputs[1];
            ReadOnlySpan<float> g = dy.Data;
            if (grads.Wants(ai))
            {
                Span<float> da = grads.For(ai).Data;
                for (int i = 0; i < da.Length; i++) if (cond[i]) da[i] += g[i];
            }
            if (grads.Wants(bi))
            {
                Span<float> db = grads.For(bi).Data;
                for (int i = 0; i < db.Length; i++) if (!cond[i]) db[i] += g[i];
            }
        });
        return y;
    }

    /// <summary>2-D transposed convolution (the gradient of Conv2d with respect to its input), as ONNX ConvTranspose.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="w">[C, M/group, KH, KW].</param>
    /// <param name="bias">[M] or null.</param>
    /// <remarks>Effectively computes y[n, g·Mg + m, i·s − pad + k·d] += x[n, g·Cg + c, i] · w[g·Cg + c, m, k] per axis.</remarks>
    public static Tensor ConvTranspose2d(Tensor x, Tensor w, Tensor? bias, (int H, int W) stride, (int H, int W) padBegin,
        (int H, int W) dilation, int groups, (int H, int W) outSize)
    {
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), wd = x.Dim(3);
        int mg = w.Dim(1), kh = w.Dim(2), kw = w.Dim(3), cg = c / groups, m = mg * groups;
        if (w.Dim(0) != c || c % groups != 0)
            throw new ArgumentException($"ConvTranspose: weight {w.ShapeString} does not fit input {x.ShapeString} with {groups} groups.");
        int oh = outSize.H, ow = outSize.W;
        Tensor y = Tensor.Zeros(n, m, oh, ow);
        var geo = (n, c, h, wd, mg, kh, kw, cg, m, oh, ow, stride, padBegin, dilation, groups);
        ConvTransposeLoop(geo, x.Data, w.Data, y.Data, mode: 0);
        if (bias is not null)
        {
            Span<float> yd = y.Data;
            ReadOnlySpan<float> bd = bias.Data;
            for (int b = 0; b < n; b++)
                for (int o = 0; o < m; o++)
                {
                    Span<float> plane = yd.Slice((b * m + o) * oh * ow, oh * ow);
                    for (int i = 0; i < plane.Length; i++) plane[i] += bd[o];
                }
        }
        Tensor[] inputs = bias is null ? [x, w] : [x, w, bias];
        Tape.Of(inputs)?.Record("conv_transpose2d", y, inputs, (node, dy, grads) =>
        {
            Tensor xi = node.Inputs[0], wi = node.Inputs[1];
            if (grads.Wants(xi)) ConvTransposeLoop(geo, grads.For(xi).Data, wi.Data, dy.Data, mode: 1);
            if (grads.Wants(wi)) ConvTransposeLoop(geo, xi.Data, grads.For(wi).Data, dy.Data, mode: 2);
            if (node.Inputs.Count > 2 && grads.Wants(node.Inputs[2]))
            {
                Span<float> db = grads.For(node.Inputs[2]).Data;
                ReadOnlySpan<float> g = dy.Data;
                for (int b = 0; b < n; b++)
                    for (int o = 0; o < m; o++)
                    {
                        ReadOnlySpan<float> plane = g.Slice((b * m + o) * oh * ow, oh * ow);
                        for (int i = 0; i < plane.Length; i++) db[o] += plane[i];
                    }
            }
        });
        return y;
    }

    /// <summary>The one loop of ConvTranspose: mode 0 accumulates y, 1 accumulates dx (y holds dy), 2 accumulates dw.</summary>
    private static void ConvTransposeLoop(
        (int N, int C, int H, int W, int Mg, int KH, int KW, int Cg, int M, int OH, int OW, (int H, int W) S, (int H, int W) P,
            (int H, int W) D, int G) g,
        Span<float> x, Span<float> w, Span<float> y, int mode)
    {
        for (int b = 0; b < g.N; b++)
            for (int grp = 0; grp < g.G; grp++)
                for (int ci = 0; ci < g.Cg; ci++)
                {
                    int cin = grp * g.Cg + ci;
                    for (int mi = 0; mi < g.Mg; mi++)
                    {
                        int mo = grp * g.Mg + mi;
                        for (int ih = 0; ih < g.H; ih++)
                            for (int iw = 0; iw < g.W; iw++)
                            {
                                int xIndex = ((b * g.C + cin) * g.H + ih) * g.W + iw;
                                for (int a = 0; a < g.KH; a++)
                                {
                                    int oh = ih * g.S.H - g.P.H + a * g.D.H;
                                    if ((uint)oh >= (uint)g.OH) continue;
                                    for (int e = 0; e < g.KW; e++)
                                    {
                                        int ow = iw * g.S.W - g.P.W + e * g.D.W;
                                        if ((uint)ow >= (uint)g.OW) continue;
                                        int yIndex = ((b * g.M + mo) * g.OH + oh) * g.OW + ow;
                                        int wIndex = ((cin * g.Mg + mi) * g.KH + a) * g.KW + e;
                                        switch (mode)
                                        {
                                            case 0: y[yIndex] += x[xIndex] * w[wIndex]; break;
                                            case 1: x[xIndex] += y[yIndex] * w[wIndex]; break;
                                            default: w[wIndex] += y[yIndex] * x[xIndex]; break;
                                        }
                                    }
                                }
                            }
                    }
                }
    }
}
