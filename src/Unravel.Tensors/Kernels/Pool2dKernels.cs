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
    /// <param name="rowScratch">At least W floats; 2·W + 2 lets the kernel-3, stride-2 columns run in SIMD.</param>
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
        // ResNet's stem pool columns (kernel 3, stride 2, padding 1): the interior outputs (2j + 1 < W) in SIMD.
        bool stride2 = g.KernelW == 3 && g.StrideW == 2 && g.PadW == 1 && g.DilationW == 1 && Vector.IsHardwareAccelerated
            && rowScratch.Length >= 2 * w + 2;
        int jLo = 1, jHi = stride2 ? Math.Max(1, Math.Min(ow, (w - 1) / 2)) : 1;
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
                int jStart = 0;
                if (stride2)
                {
                    // Window j covers columns 2j − 1, 2j, 2j + 1: max of three unit-stride vectors over the de-interleaved row.
                    Span<float> even = rowScratch.Slice(w, w / 2 + 1), odd = rowScratch.Slice(w + w / 2 + 1, w / 2 + 1);
                    Deinterleave(row, even, odd);
                    jStart = MaxOfThree(odd, even, yr, jLo, jHi);
                }
                for (int j = 0; j < ow; j++)
                {
                    if (j == jLo) j = Math.Max(j, jStart);
                    if (j >= ow) break;
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
        // ResNet's stem pool (columns: kernel 3, stride 2, padding 1): the interior columns go through the SIMD scan.
        bool simd = g.KernelW == 3 && g.StrideW == 2 && g.PadW == 1 && dw == 1 && Vector.IsHardwareAccelerated;
        int jLo = 1, jHi = simd ? Math.Max(1, Math.Min(ow, (w - 1) / 2)) : 1; // interior: 2j + 1 < W
        float[]? rows = simd && jHi > jLo ? System.Buffers.ArrayPool<float>.Shared.Rent(2 * g.KernelH * (w / 2 + 1)) : null;
        for (int p = planeStart; p < planeEnd; p++)
        {
            ReadOnlySpan<float> plane = x.Slice(p * hw, hw);
            Span<float> yp = y.Slice(p * ohw, ohw);
            Span<int> ip = indices.Slice(p * ohw, ohw);
            for (int i = 0; i < g.OutH; i++)
            {
                (int h0, int h1) = MaxWindow(i, g.StrideH, g.PadH, g.KernelH, g.DilationH, g.Height);
                int vEnd = jLo;
                if (rows is not null && h0 < h1)
                    vEnd = MaxPool2dStride2Row(plane, rows, yp.Slice(i * ow, ow), ip.Slice(i * ow, ow), w, h0, h1, g.DilationH, jLo, jHi);
                for (int j = 0; j < ow; j++)
                {
                    if (j == jLo) j = vEnd;
                    if (j >= ow) break;
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
        if (rows is not null) System.Buffers.ArrayPool<float>.Shared.Return(rows);
    }

    /// <summary>Columns [jLo, j) of one output row of a kernel-3, stride-2, padding-1 column window, in SIMD, for window
    /// rows [h0, h1); returns j (the columns from there on are left to the caller).</summary>
    /// <remarks>Each window row is de-interleaved into even and odd columns, so the taps 2j − 1, 2j, 2j + 1 of consecutive
    /// outputs are three unit-stride vectors. The taps are visited in the scalar kernel's order (row by row, left to right)
    /// with its update rule (greater, or NaN), so values and argmax are the same, ties and NaN included.</remarks>
    private static int MaxPool2dStride2Row(ReadOnlySpan<float> plane, float[] rows, Span<float> yRow, Span<int> iRow, int w,
        int h0, int h1, int dh, int jLo, int jHi)
    {
        int half = w / 2 + 1, n = 0;
        for (int ih = h0; ih < h1; ih += dh, n++)
        {
            ReadOnlySpan<float> src = plane.Slice(ih * w, w);
            Span<float> even = rows.AsSpan(2 * n * half, half), odd = rows.AsSpan((2 * n + 1) * half, half);
            Deinterleave(src, even, odd);
        }
        int vw = Vector<float>.Count, j = jLo;
        ref float yr = ref MemoryMarshal.GetReference(yRow);
        ref int ir = ref MemoryMarshal.GetReference(iRow);
        Vector<int> lane = Vector<int>.Indices * 2;
        for (; j + vw <= jHi; j += vw)
        {
            Vector<float> best = new(float.NegativeInfinity);
            Vector<int> arg = new Vector<int>(h0 * w + 2 * j - 1) + lane;
            for (int r = 0, ih = h0; r < n; r++, ih += dh)
            {
                ref float e = ref rows[2 * r * half];
                ref float o = ref rows[(2 * r + 1) * half];
                Vector<int> at = new(ih * w + 2 * j - 1);
                at += lane;
                Take(Vector.LoadUnsafe(ref o, (nuint)(j - 1)), at, ref best, ref arg);
                Take(Vector.LoadUnsafe(ref e, (nuint)j), at + Vector<int>.One, ref best, ref arg);
                Take(Vector.LoadUnsafe(ref o, (nuint)j), at + new Vector<int>(2), ref best, ref arg);
            }
            best.StoreUnsafe(ref yr, (nuint)j);
            arg.StoreUnsafe(ref ir, (nuint)j);
        }
        return j;

        static void Take(Vector<float> v, Vector<int> at, ref Vector<float> best, ref Vector<int> arg)
        {
            Vector<int> take = Vector.AsVectorInt32(Vector.GreaterThan(v, best) | ~Vector.Equals(v, v));
            best = Vector.ConditionalSelect(take, v, best);
            arg = Vector.ConditionalSelect(take, at, arg);
        }
    }

    /// <summary>even[t] = row[2t], odd[t] = row[2t + 1] for every t inside the row.</summary>
    private static void Deinterleave(ReadOnlySpan<float> row, Span<float> even, Span<float> odd)
    {
        int w = row.Length;
        Conv2dKernels.GatherEven(row, even[..((w + 1) / 2)]);
        if (w > 1) Conv2dKernels.GatherEven(row[1..], odd[..(w / 2)]);
    }

    /// <summary>y[j] = max(odd[j − 1], even[j], odd[j]) (NaN wins) for j in [jLo, j_end) in whole vectors; returns j_end.</summary>
    private static int MaxOfThree(ReadOnlySpan<float> odd, ReadOnlySpan<float> even, Span<float> y, int jLo, int jHi)
    {
        int vw = Vector<float>.Count, j = jLo;
        ref float o = ref MemoryMarshal.GetReference(odd);
        ref float e = ref MemoryMarshal.GetReference(even);
        ref float yr = ref MemoryMarshal.GetReference(y);
        for (; j + vw <= jHi; j += vw)
        {
            Vector<float> m = Vector.LoadUnsafe(ref o, (nuint)(j - 1));
            Vector<float> v = Vector.LoadUnsafe(ref e, (nuint)j);
            m = Vector.ConditionalSelect(Vector.GreaterThan(v, m) | ~Vector.Equals(v, v), v, m);
            v = Vector.LoadUnsafe(ref o, (nuint)j);
            m = Vector.ConditionalSelect(Vector.GreaterThan(v, m) | ~Vector.Equals(v, v), v, m);
            m.StoreUnsafe(ref yr, (nuint)j);
        }
        return j;
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
