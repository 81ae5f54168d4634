// Pooling kernels over a run of H×W planes (planes = N·C of an NCHW tensor), single-threaded; the ops parallelise
// over planes. Window arithmetic follows PyTorch's CPU kernels (aten/src/ATen/native/cpu/MaxPoolKernel.cpp,
// AvgPoolKernel.cpp, AdaptiveAvgPoolKernel.cpp) so ties, NaN and padded borders behave the same.

using System.Numerics;
using System.Runtime.InteropServices;

namespace Unravel.Tensors.Kernels;

/// <summary>Span kernels of <see cref="Ops.MaxPool2d(Tensor, int, int?, int, int, bool)"/>,
/// <see cref="Ops.AvgPool2d(Tensor, int, int?, int, bool, bool)"/> and <see cref="Ops.AdaptiveAvgPool2d(Tensor, int)"/>.</summary>
public static class Pool2dKernels
{
    /// <summary>Max pooling of planes [<paramref name="planeStart"/>, <paramref name="planeEnd"/>).</summary>
    /// <param name="x">[P, H, W].</param>
    /// <param name="y">[P, OH, OW], overwritten.</param>
    /// <param name="indices">[P, OH, OW], overwritten with the argmax as a flat index into its H×W plane
    /// (−1 for a window that holds no input element).</param>
    /// <param name="g">The pooling's dimensions.</param>
    /// <param name="planeStart">First plane.</param>
    /// <param name="planeEnd">One past the last plane.</param>
    /// <remarks>Padding acts as −∞. The first maximum wins a tie, and a NaN wins over any number (the last NaN, as torch).</remarks>
    public static void MaxPool2d(ReadOnlySpan<float> x, Span<float> y, Span<int> indices, in Pool2dGeometry g, int planeStart, int planeEnd)
    {
        int hw = g.Height * g.Width, ohw = g.OutH * g.OutW;
        for (int p = planeStart; p < planeEnd; p++)
        {
            ReadOnlySpan<float> plane = x.Slice(p * hw, hw);
            Span<float> yp = y.Slice(p * ohw, ohw);
            Span<int> ip = indices.Slice(p * ohw, ohw);
            for (int i = 0; i < g.OutH; i++)
            {
                (int h0, int h1) = MaxWindow(i, g.StrideH, g.PadH, g.KernelH, g.DilationH, g.Height);
                for (int j = 0; j < g.OutW; j++)
                {
                    (int w0, int w1) = MaxWindow(j, g.StrideW, g.PadW, g.KernelW, g.DilationW, g.Width);
                    float best = float.NegativeInfinity;
                    int arg = h0 < h1 && w0 < w1 ? h0 * g.Width + w0 : -1;
                    for (int ih = h0; ih < h1; ih += g.DilationH)
                        for (int iw = w0; iw < w1; iw += g.DilationW)
                        {
                            float v = plane[ih * g.Width + iw];
                            if (v > best || float.IsNaN(v)) { best = v; arg = ih * g.Width + iw; }
                        }
                    yp[i * g.OutW + j] = best;
                    ip[i * g.OutW + j] = arg;
                }
            }
        }
    }

    /// <summary>Max pooling of planes [<paramref name="planeStart"/>, <paramref name="planeEnd"/>) without the argmax, for
    /// inference: each output row is a SIMD max over its window's input rows, then a max over each window's columns.</summary>
    /// <param name="x">[P, H, W].</param>
    /// <param name="y">[P, OH, OW], overwritten.</param>
    /// <param name="rowScratch">At least W floats.</param>
    /// <param name="g">The pooling's dimensions.</param>
    /// <param name="planeStart">First plane.</param>
    /// <param name="planeEnd">One past the last plane.</param>
    /// <remarks>Gives the values of <see cref="MaxPool2d"/>: a value replaces the running maximum when it is greater or NaN
    /// (torch's rule), so NaN propagates; only the order of comparisons differs, which cannot change a maximum.</remarks>
    public static void MaxPool2dValues(ReadOnlySpan<float> x, Span<float> y, Span<float> rowScratch, in Pool2dGeometry g,
        int planeStart, int planeEnd)
    {
        int w = g.Width, hw = g.Height * w, ow = g.OutW, ohw = g.OutH * ow;
        Span<float> row = rowScratch[..w];
        for (int p = planeStart; p < planeEnd; p++)
        {
            ReadOnlySpan<float> plane = x.Slice(p * hw, hw);
            Span<float> yp = y.Slice(p * ohw, ohw);
            for (int i = 0; i < g.OutH; i++)
            {
                (int h0, int h1) = MaxWindow(i, g.StrideH, g.PadH, g.KernelH, g.DilationH, g.Height);
                Span<float> yr = yp.Slice(i * ow, ow);
                if (h0 >= h1)
                {
                    yr.Fill(float.NegativeInfinity);
                    continue;
                }
                plane.Slice(h0 * w, w).CopyTo(row);
                for (int ih = h0 + g.DilationH; ih < h1; ih += g.DilationH) MaxInto(plane.Slice(ih * w, w), row);
                for (int j = 0; j < ow; j++)
                {
                    (int w0, int w1) = MaxWindow(j, g.StrideW, g.PadW, g.KernelW, g.DilationW, w);
                    float best = float.NegativeInfinity;
                    for (int iw = w0; iw < w1; iw += g.DilationW)
                    {
                        float v = row[iw];
                        if (v > best || float.IsNaN(v)) best = v;
                    }
                    yr[j] = best;
                }
            }
        }
    }

    /// <summary>Max pooling with the argmax, as <see cref="MaxPool2d"/> (same values, same argmax on ties and NaN), but
    /// with the window bounds hoisted out of the inner loops.</summary>
    /// <param name="x">[P, H, W].</param>
    /// <param name="y">[P, OH, OW], overwritten.</param>
    /// <param name="indices">[P, OH, OW], overwritten with the flat argmax in its plane (−1 for an empty window).</param>
    /// <param name="columnWindows">At least 2·OW ints, overwritten with each output column's [w0, w1).</param>
    /// <param name="g">The pooling's dimensions.</param>
    /// <param name="planeStart">First plane.</param>
    /// <param name="planeEnd">One past the last plane.</param>
    /// <remarks>Walks each window row by row and, within a row, column by column, replacing the running maximum on a
    /// greater value or a NaN, exactly the order of <see cref="MaxPool2d"/>; so the first maximum wins a tie and the last
    /// NaN wins over numbers.</remarks>
    public static void MaxPool2dRows(ReadOnlySpan<float> x, Span<float> y, Span<int> indices, Span<int> columnWindows,
        in Pool2dGeometry g, int planeStart, int planeEnd)
    {
        int w = g.Width, hw = g.Height * w, ow = g.OutW, ohw = g.OutH * ow, dw = g.DilationW;
        Span<int> windows = columnWindows[..(2 * ow)];
        for (int j = 0; j < ow; j++) (windows[2 * j], windows[2 * j + 1]) = MaxWindow(j, g.StrideW, g.PadW, g.KernelW, dw, w);
        for (int p = planeStart; p < planeEnd; p++)
        {
            ReadOnlySpan<float> plane = x.Slice(p * hw, hw);
            Span<float> yp = y.Slice(p * ohw, ohw);
            Span<int> ip = indices.Slice(p * ohw, ohw);
            for (int i = 0; i < g.OutH; i++)
            {
                (int h0, int h1) = MaxWindow(i, g.StrideH, g.PadH, g.KernelH, g.DilationH, g.Height);
                for (int j = 0; j < ow; j++)
                {
                    int w0 = windows[2 * j], w1 = windows[2 * j + 1];
                    float best = float.NegativeInfinity;
                    int arg = h0 < h1 && w0 < w1 ? h0 * w + w0 : -1;
                    for (int ih = h0; ih < h1; ih += g.DilationH)
                    {
                        ReadOnlySpan<float> xr = plane.Slice(ih * w, w);
                        for (int iw = w0; iw < w1; iw += dw)
                        {
                            float v = xr[iw];
                            if (v > best || float.IsNaN(v)) { best = v; arg = ih * w + iw; }
                        }
                    }
                    yp[i * ow + j] = best;
                    ip[i * ow + j] = arg;
                }
            }
        }
    }

    /// <summary>acc[i] = v[i] when v[i] &gt; acc[i] or v[i] is NaN (torch's max-pool update), elementwise.</summary>
    private static void MaxInto(ReadOnlySpan<float> v, Span<float> acc)
    {
        int i = 0, n = acc.Length;
        if (Vector.IsHardwareAccelerated)
        {
            int vw = Vector<float>.Count;
            ref float vr = ref MemoryMarshal.GetReference(v);
            ref float ar = ref MemoryMarshal.GetReference(acc);
            for (; i <= n - vw; i += vw)
            {
                var a = Vector.LoadUnsafe(ref ar, (nuint)i);
                var b = Vector.LoadUnsafe(ref vr, (nuint)i);
                var take = Vector.GreaterThan(b, a) | ~Vector.Equals(b, b);
                Vector.ConditionalSelect(take, b, a).StoreUnsafe(ref ar, (nuint)i);
            }
        }
        for (; i < n; i++)
            if (v[i] > acc[i] || float.IsNaN(v[i])) acc[i] = v[i];
    }

    /// <summary>Routes each output gradient to its argmax: dx[p, indices[p, o]] += dy[p, o]. Accumulates.</summary>
    /// <param name="dy">[P, OH, OW].</param>
    /// <param name="indices">[P, OH, OW] from <see cref="MaxPool2d"/>.</param>
    /// <param name="dx">[P, H, W]; accumulated into.</param>
    /// <param name="g">The pooling's dimensions.</param>
    /// <param name="planeStart">First plane.</param>
    /// <param name="planeEnd">One past the last plane.</param>
    public static void MaxPool2dBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, Span<float> dx, in Pool2dGeometry g,
        int planeStart, int planeEnd)
    {
        int hw = g.Height * g.Width, ohw = g.OutH * g.OutW;
        for (int p = planeStart; p < planeEnd; p++)
        {
            Span<float> plane = dx.Slice(p * hw, hw);
            ReadOnlySpan<float> dyp = dy.Slice(p * ohw, ohw);
            ReadOnlySpan<int> ip = indices.Slice(p * ohw, ohw);
            for (int o = 0; o < ohw; o++)
                if (ip[o] >= 0) plane[ip[o]] += dyp[o];
        }
    }

    /// <summary>Average pooling of planes [<paramref name="planeStart"/>, <paramref name="planeEnd"/>).</summary>
    /// <param name="x">[P, H, W].</param>
    /// <param name="y">[P, OH, OW], overwritten.</param>
    /// <param name="g">The pooling's dimensions (dilation must be 1).</param>
    /// <param name="countIncludePad">Divide by the window size clipped to the padded input (true) or by the number of real inputs.</param>
    /// <param name="planeStart">First plane.</param>
    /// <param name="planeEnd">One past the last plane.</param>
    /// <remarks>Effectively computes y = Σ_window x / divisor, with torch's divisor: the window clipped to [−pad, size + pad)
    /// when counting padding, else clipped to the input; a window with no input gives 0.</remarks>
    public static void AvgPool2d(ReadOnlySpan<float> x, Span<float> y, in Pool2dGeometry g, bool countIncludePad, int planeStart, int planeEnd)
    {
        int hw = g.Height * g.Width, ohw = g.OutH * g.OutW;
        for (int p = planeStart; p < planeEnd; p++)
        {
            ReadOnlySpan<float> plane = x.Slice(p * hw, hw);
            Span<float> yp = y.Slice(p * ohw, ohw);
            for (int i = 0; i < g.OutH; i++)
                for (int j = 0; j < g.OutW; j++)
                {
                    (int h0, int h1, int w0, int w1, float divisor) = AvgWindow(i, j, g, countIncludePad);
                    float s = 0f;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++) s += plane[ih * g.Width + iw];
                    yp[i * g.OutW + j] = divisor > 0f ? s / divisor : 0f;
                }
        }
    }

    /// <summary>Spreads each output gradient evenly over its window: dx[window] += dy / divisor. Accumulates.</summary>
    /// <param name="dy">[P, OH, OW].</param>
    /// <param name="dx">[P, H, W]; accumulated into.</param>
    /// <param name="g">The pooling's dimensions (dilation must be 1).</param>
    /// <param name="countIncludePad">As in <see cref="AvgPool2d"/>.</param>
    /// <param name="planeStart">First plane.</param>
    /// <param name="planeEnd">One past the last plane.</param>
    public static void AvgPool2dBackward(ReadOnlySpan<float> dy, Span<float> dx, in Pool2dGeometry g, bool countIncludePad, int planeStart, int planeEnd)
    {
        int hw = g.Height * g.Width, ohw = g.OutH * g.OutW;
        for (int p = planeStart; p < planeEnd; p++)
        {
            Span<float> plane = dx.Slice(p * hw, hw);
            ReadOnlySpan<float> dyp = dy.Slice(p * ohw, ohw);
            for (int i = 0; i < g.OutH; i++)
                for (int j = 0; j < g.OutW; j++)
                {
                    (int h0, int h1, int w0, int w1, float divisor) = AvgWindow(i, j, g, countIncludePad);
                    if (divisor == 0f) continue;
                    float share = dyp[i * g.OutW + j] / divisor;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++) plane[ih * g.Width + iw] += share;
                }
        }
    }

    /// <summary>Adaptive average pooling of planes [<paramref name="planeStart"/>, <paramref name="planeEnd"/>) to outH × outW.</summary>
    /// <param name="x">[P, H, W].</param>
    /// <param name="y">[P, outH, outW], overwritten.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="outH">Output rows.</param>
    /// <param name="outW">Output columns.</param>
    /// <param name="planeStart">First plane.</param>
    /// <param name="planeEnd">One past the last plane.</param>
    /// <remarks>Effectively computes y[i, j] = mean of x[⌊i·H/outH⌋ .. ⌈(i+1)·H/outH⌉, ⌊j·W/outW⌋ .. ⌈(j+1)·W/outW⌉).</remarks>
    public static void AdaptiveAvgPool2d(ReadOnlySpan<float> x, Span<float> y, int height, int width, int outH, int outW,
        int planeStart, int planeEnd)
    {
        int hw = height * width, ohw = outH * outW;
        for (int p = planeStart; p < planeEnd; p++)
        {
            ReadOnlySpan<float> plane = x.Slice(p * hw, hw);
            Span<float> yp = y.Slice(p * ohw, ohw);
            for (int i = 0; i < outH; i++)
            {
                (int h0, int h1) = AdaptiveRange(i, height, outH);
                for (int j = 0; j < outW; j++)
                {
                    (int w0, int w1) = AdaptiveRange(j, width, outW);
                    float s = 0f;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++) s += plane[ih * width + iw];
                    yp[i * outW + j] = s / (h1 - h0) / (w1 - w0); // torch divides by each extent in turn
                }
            }
        }
    }

    /// <summary>Gradient of <see cref="AdaptiveAvgPool2d"/>: dx[window] += dy / |window|. Accumulates.</summary>
    /// <param name="dy">[P, outH, outW].</param>
    /// <param name="dx">[P, H, W]; accumulated into.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="outH">Output rows.</param>
    /// <param name="outW">Output columns.</param>
    /// <param name="planeStart">First plane.</param>
    /// <param name="planeEnd">One past the last plane.</param>
    public static void AdaptiveAvgPool2dBackward(ReadOnlySpan<float> dy, Span<float> dx, int height, int width, int outH, int outW,
        int planeStart, int planeEnd)
    {
        int hw = height * width, ohw = outH * outW;
        for (int p = planeStart; p < planeEnd; p++)
        {
            Span<float> plane = dx.Slice(p * hw, hw);
            ReadOnlySpan<float> dyp = dy.Slice(p * ohw, ohw);
            for (int i = 0; i < outH; i++)
            {
                (int h0, int h1) = AdaptiveRange(i, height, outH);
                for (int j = 0; j < outW; j++)
                {
                    (int w0, int w1) = AdaptiveRange(j, width, outW);
                    float share = dyp[i * outW + j] / (h1 - h0) / (w1 - w0);
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++) plane[ih * width + iw] += share;
                }
            }
        }
    }

    /// <summary>torch's adaptive window: [⌊i·in/out⌋, ⌈(i+1)·in/out⌉).</summary>
    internal static (int Start, int End) AdaptiveRange(int i, int input, int output) =>
        ((int)((long)i * input / output), (int)(((long)(i + 1) * input + output - 1) / output));

    /// <summary>Rows (or columns) [start, end) stepped by dilation of max-pooling window <paramref name="o"/>, clipped to the input.</summary>
    private static (int Start, int End) MaxWindow(int o, int stride, int pad, int kernel, int dilation, int size)
    {
        int start = o * stride - pad;
        int end = Math.Min(start + (kernel - 1) * dilation + 1, size);
        while (start < 0) start += dilation;
        return (start, end);
    }

    private static (int H0, int H1, int W0, int W1, float Divisor) AvgWindow(int i, int j, in Pool2dGeometry g, bool countIncludePad)
    {
        int h0 = i * g.StrideH - g.PadH, w0 = j * g.StrideW - g.PadW;
        int h1 = Math.Min(h0 + g.KernelH, g.Height + g.PadH), w1 = Math.Min(w0 + g.KernelW, g.Width + g.PadW);
        int padded = (h1 - h0) * (w1 - w0);
        h0 = Math.Max(h0, 0);
        w0 = Math.Max(w0, 0);
        h1 = Math.Min(h1, g.Height);
        w1 = Math.Min(w1, g.Width);
        if (h0 >= h1 || w0 >= w1) return (h0, h0, w0, w0, 0f);
        return (h0, h1, w0, w1, countIncludePad ? padded : (h1 - h0) * (w1 - w0));
    }
}
