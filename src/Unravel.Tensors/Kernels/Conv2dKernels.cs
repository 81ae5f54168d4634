// Convolution kernels for one NCHW image: im2col / col2im (the GEMM path, see Ops/Conv2d.cs) and a direct
// "shift-and-add" convolution that walks kernel taps and adds whole output rows, which is what wins for depthwise
// convs (a GEMM with one row per group does almost no reuse). All are single-threaded; the op parallelises.
// Reference: Chellapilla et al. 2006, "High performance convolutional neural networks for document processing"
// (im2col + GEMM); PyTorch aten/src/ATen/native/im2col.h for the layout.

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unravel.Tensors.Kernels;

/// <summary>Span kernels of <see cref="Ops.Conv2d(Tensor, Tensor, Tensor?, Conv2dOptions?)"/>; dims in <see cref="Conv2dGeometry"/>.</summary>
public static class Conv2dKernels
{
    /// <summary>Unfolds one image's group of channels into the im2col matrix.</summary>
    /// <param name="x">[C/Groups, H, W] (one image, one group).</param>
    /// <param name="col">[C/Groups·KH·KW, OH·OW], overwritten; row (c·KH + kh)·KW + kw holds tap (kh, kw) of channel c.</param>
    /// <param name="g">The convolution's dimensions.</param>
    /// <remarks>Effectively computes col[(c,kh,kw), (oh,ow)] = x[c, oh·sH − pH + kh·dH, ow·sW − pW + kw·dW], 0 in the padding.</remarks>
    public static void Im2Col(ReadOnlySpan<float> x, Span<float> col, in Conv2dGeometry g)
    {
        int h = g.Height, w = g.Width, oh = g.OutH, ow = g.OutW, ohw = oh * ow;
        RequireLength(x, g.GroupChannels * h * w, "x");
        RequireLength(col, g.ColRows * ohw, "col");
        int row = 0;
        for (int c = 0; c < g.GroupChannels; c++)
        {
            ReadOnlySpan<float> plane = x.Slice(c * h * w, h * w);
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                int offH = kh * g.DilationH - g.PadH;
                (int ohLo, int ohHi) = ValidRange(oh, g.StrideH, offH, h);
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                {
                    int offW = kw * g.DilationW - g.PadW;
                    (int owLo, int owHi) = ValidRange(ow, g.StrideW, offW, w);
                    Span<float> dst = col.Slice(row * ohw, ohw);
                    dst[..(ohLo * ow)].Clear();
                    dst[(ohHi * ow)..].Clear();
                    for (int i = ohLo; i < ohHi; i++)
                    {
                        Span<float> drow = dst.Slice(i * ow, ow);
                        drow[..owLo].Clear();
                        drow[owHi..].Clear();
                        if (owLo == owHi) continue;
                        ReadOnlySpan<float> src = plane[((i * g.StrideH + offH) * w + owLo * g.StrideW + offW)..];
                        Span<float> d = drow[owLo..owHi];
                        if (g.StrideW == 1) src[..d.Length].CopyTo(d);
                        else for (int j = 0; j < d.Length; j++) d[j] = src[j * g.StrideW];
                    }
                }
            }
        }
    }

    /// <summary>Folds an im2col-shaped gradient back onto the image, adding overlapping taps.</summary>
    /// <param name="col">[C/Groups·KH·KW, OH·OW], the layout of <see cref="Im2Col"/>.</param>
    /// <param name="dx">[C/Groups, H, W] (one image, one group); accumulated into (padding taps are dropped).</param>
    /// <param name="g">The convolution's dimensions.</param>
    public static void Col2Im(ReadOnlySpan<float> col, Span<float> dx, in Conv2dGeometry g)
    {
        int h = g.Height, w = g.Width, oh = g.OutH, ow = g.OutW, ohw = oh * ow;
        RequireLength(col, g.ColRows * ohw, "col");
        RequireLength(dx, g.GroupChannels * h * w, "dx");
        int row = 0;
        for (int c = 0; c < g.GroupChannels; c++)
        {
            Span<float> plane = dx.Slice(c * h * w, h * w);
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                int offH = kh * g.DilationH - g.PadH;
                (int ohLo, int ohHi) = ValidRange(oh, g.StrideH, offH, h);
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                {
                    int offW = kw * g.DilationW - g.PadW;
                    (int owLo, int owHi) = ValidRange(ow, g.StrideW, offW, w);
                    if (owLo == owHi) continue;
                    ReadOnlySpan<float> src = col.Slice(row * ohw, ohw);
                    for (int i = ohLo; i < ohHi; i++)
                    {
                        Span<float> d = plane[((i * g.StrideH + offH) * w + owLo * g.StrideW + offW)..];
                        Axpy(src.Slice(i * ow + owLo, owHi - owLo), 1f, d, g.StrideW);
                    }
                }
            }
        }
    }

    /// <summary>Unfolds output positions [<paramref name="colStart"/>, <paramref name="colStart"/> + <paramref name="colCount"/>)
    /// of one image's group of channels into columns of an im2col block (the blocked GEMM path of Ops.Conv2d).</summary>
    /// <param name="x">[C/Groups, H, W] (one image, one group).</param>
    /// <param name="col">Row r (r = (c·KH + kh)·KW + kw) starts at r·<paramref name="ldCol"/>; its first
    /// <paramref name="colCount"/> entries are overwritten.</param>
    /// <param name="g">The convolution's dimensions.</param>
    /// <param name="colStart">First output position (oh·OW + ow) to unfold.</param>
    /// <param name="colCount">Number of output positions.</param>
    /// <param name="ldCol">Row stride of <paramref name="col"/>, at least <paramref name="colCount"/>.</param>
    /// <remarks>Effectively computes col[r, p − colStart] = x[c, oh·sH − pH + kh·dH, ow·sW − pW + kw·dW] for p = oh·OW + ow
    /// in the range, 0 in the padding; with the whole range and ldCol = OH·OW it equals <see cref="Im2Col"/>.</remarks>
    public static void Im2ColBlock(ReadOnlySpan<float> x, Span<float> col, in Conv2dGeometry g, int colStart, int colCount, int ldCol)
    {
        int h = g.Height, w = g.Width;
        RequireLength(x, g.GroupChannels * h * w, "x");
        RequireBlock(col, g, colStart, colCount, ldCol, "col");
        int row = 0;
        for (int c = 0; c < g.GroupChannels; c++)
        {
            ReadOnlySpan<float> plane = x.Slice(c * h * w, h * w);
            for (int kh = 0; kh < g.KernelH; kh++)
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                    Im2ColRow(plane, col.Slice(row * ldCol, colCount), g, kh, kw, colStart);
        }
    }

    /// <summary>One im2col row: tap (<paramref name="kh"/>, <paramref name="kw"/>) of one channel plane for output positions
    /// [<paramref name="colStart"/>, <paramref name="colStart"/> + dst.Length).</summary>
    /// <param name="plane">[H, W], one channel of one image.</param>
    /// <param name="dst">Overwritten; 0 where the tap falls in the padding.</param>
    /// <param name="g">The convolution's dimensions.</param>
    /// <param name="kh">Kernel row.</param>
    /// <param name="kw">Kernel column.</param>
    /// <param name="colStart">First output position (oh·OW + ow).</param>
    internal static void Im2ColRow(ReadOnlySpan<float> plane, Span<float> dst, in Conv2dGeometry g, int kh, int kw, int colStart)
    {
        int h = g.Height, w = g.Width, ow = g.OutW, sw = g.StrideW, end = colStart + dst.Length;
        int offH = kh * g.DilationH - g.PadH, offW = kw * g.DilationW - g.PadW;
        (int owLo, int owHi) = ValidRange(ow, sw, offW, w);
        for (int p = colStart; p < end;)
        {
            int i = p / ow, j0 = p - i * ow, j1 = Math.Min(ow, j0 + end - p);
            Span<float> d = dst.Slice(p - colStart, j1 - j0);
            p += j1 - j0;
            int ih = i * g.StrideH + offH, lo = Math.Max(j0, owLo), hi = Math.Min(j1, owHi);
            if ((uint)ih >= (uint)h || lo >= hi)
            {
                d.Clear();
                continue;
            }
            d[..(lo - j0)].Clear();
            d[(hi - j0)..].Clear();
            ReadOnlySpan<float> src = plane[(ih * w + lo * sw + offW)..];
            Span<float> seg = d[(lo - j0)..(hi - j0)];
            if (sw == 1) src[..seg.Length].CopyTo(seg);
            else if (sw == 2) GatherEven(src, seg);
            else for (int j = 0; j < seg.Length; j++) seg[j] = src[j * sw];
        }
    }

    /// <summary>dst[j] = src[2·j]: de-interleaves pairs with two loads and a shuffle per eight outputs (stride-2 convs).</summary>
    internal static void GatherEven(ReadOnlySpan<float> src, Span<float> dst)
    {
        int n = dst.Length, j = 0;
        if (Avx2.IsSupported)
        {
            ref float s = ref MemoryMarshal.GetReference(src);
            ref float d = ref MemoryMarshal.GetReference(dst);
            // Both loads must stay inside src: the pair covers src[2·j .. 2·j + 16).
            for (; j + 8 <= n && 2 * j + 16 <= src.Length; j += 8)
            {
                var a = Vector256.LoadUnsafe(ref s, (nuint)(2 * j));
                var b = Vector256.LoadUnsafe(ref s, (nuint)(2 * j + 8));
                // shuffle_ps picks a0 a2 b0 b2 | a4 a6 b4 b6; the 64-bit lane permute restores a0 a2 a4 a6 b0 b2 b4 b6.
                var even = Avx.Shuffle(a, b, 0b10_00_10_00);
                Avx2.Permute4x64(even.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref d, (nuint)j);
            }
        }
        for (; j < n; j++) dst[j] = src[2 * j];
    }

    /// <summary>Folds a block of im2col-shaped gradient columns back onto the image, adding overlapping taps; the adjoint
    /// of <see cref="Im2ColBlock"/>.</summary>
    /// <param name="col">Row r starts at r·<paramref name="ldCol"/> and holds <paramref name="colCount"/> output positions.</param>
    /// <param name="dx">[C/Groups, H, W] (one image, one group); accumulated into (padding taps are dropped).</param>
    /// <param name="g">The convolution's dimensions.</param>
    /// <param name="colStart">First output position of the block.</param>
    /// <param name="colCount">Number of output positions.</param>
    /// <param name="ldCol">Row stride of <paramref name="col"/>.</param>
    public static void Col2ImBlock(ReadOnlySpan<float> col, Span<float> dx, in Conv2dGeometry g, int colStart, int colCount, int ldCol)
    {
        int h = g.Height, w = g.Width, ow = g.OutW, sw = g.StrideW;
        RequireBlock(col, g, colStart, colCount, ldCol, "col");
        RequireLength(dx, g.GroupChannels * h * w, "dx");
        int row = 0, end = colStart + colCount;
        for (int c = 0; c < g.GroupChannels; c++)
        {
            Span<float> plane = dx.Slice(c * h * w, h * w);
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                int offH = kh * g.DilationH - g.PadH;
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                {
                    int offW = kw * g.DilationW - g.PadW;
                    (int owLo, int owHi) = ValidRange(ow, sw, offW, w);
                    ReadOnlySpan<float> src = col.Slice(row * ldCol, colCount);
                    for (int p = colStart; p < end;)
                    {
                        int i = p / ow, j0 = p - i * ow, j1 = Math.Min(ow, j0 + end - p);
                        int at = p - colStart;
                        p += j1 - j0;
                        int ih = i * g.StrideH + offH, lo = Math.Max(j0, owLo), hi = Math.Min(j1, owHi);
                        if ((uint)ih >= (uint)h || lo >= hi) continue;
                        Axpy(src.Slice(at + lo - j0, hi - lo), 1f, plane[(ih * w + lo * sw + offW)..], sw);
                    }
                }
            }
        }
    }

    /// <summary>Direct convolution of one image for output channels [<paramref name="oStart"/>, <paramref name="oEnd"/>).</summary>
    /// <param name="x">[C, H, W], one image.</param>
    /// <param name="weight">[O, C/Groups, KH, KW].</param>
    /// <param name="y">[O, OH, OW], one image; accumulated into (the caller fills it with the bias or zeros).</param>
    /// <param name="g">The convolution's dimensions.</param>
    /// <param name="oStart">First output channel to compute.</param>
    /// <param name="oEnd">One past the last output channel.</param>
    /// <remarks>Effectively computes y[o, oh, ow] += Σ_{c,kh,kw} weight[o, c, kh, kw] · x[g(o)·C/G + c, ih, iw]. Each output
    /// row is built in registers over all taps: columns whose every tap lies inside the input take a SIMD path (stride 1)
    /// or an unchecked scalar path, and only the border columns check bounds.</remarks>
    public static void Direct(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, in Conv2dGeometry g,
        int oStart, int oEnd)
    {
        int h = g.Height, w = g.Width, hw = h * w, oh = g.OutH, ow = g.OutW, ohw = oh * ow;
        int cg = g.GroupChannels, og = g.GroupOutChannels, kk = g.KernelH * g.KernelW;
        RequireLength(x, g.Channels * hw, "x");
        RequireLength(weight, g.OutChannels * cg * kk, "weight");
        RequireLength(y, g.OutChannels * ohw, "y");

        // Columns [jLo, jHi) have every kernel column inside the input.
        int jLo = 0, jHi = ow;
        for (int kw = 0; kw < g.KernelW; kw++)
        {
            (int lo, int hi) = ValidRange(ow, g.StrideW, kw * g.DilationW - g.PadW, w);
            jLo = Math.Max(jLo, lo);
            jHi = Math.Min(jHi, hi);
        }
        if (jHi < jLo) jHi = jLo;
        int vectorEnd = g.StrideW == 1 && Vector.IsHardwareAccelerated ? jLo + (jHi - jLo) / Vector<float>.Count * Vector<float>.Count : jLo;

        for (int o = oStart; o < oEnd; o++)
        {
            Span<float> yPlane = y.Slice(o * ohw, ohw);
            int cBase = o / og * cg;
            for (int ci = 0; ci < cg; ci++)
            {
                ReadOnlySpan<float> xPlane = x.Slice((cBase + ci) * hw, hw);
                ReadOnlySpan<float> taps = weight.Slice((o * cg + ci) * kk, kk);
                for (int i = 0; i < oh; i++)
                {
                    Span<float> yRow = yPlane.Slice(i * ow, ow);
                    int ih0 = i * g.StrideH - g.PadH;
                    if (vectorEnd > jLo) DirectRowVector(xPlane, taps, yRow, g, ih0, jLo, vectorEnd);
                    DirectRowStrided(xPlane, taps, yRow, g, ih0, vectorEnd, jHi);
                    for (int j = 0; j < jLo; j++) yRow[j] += DirectPoint(xPlane, taps, g, ih0, j * g.StrideW - g.PadW, checkColumns: true);
                    for (int j = jHi; j < ow; j++) yRow[j] += DirectPoint(xPlane, taps, g, ih0, j * g.StrideW - g.PadW, checkColumns: true);
                }
            }
        }
    }

    /// <summary>Stride-1 interior of one output row: yRow[j..j+V) += Σ_taps tap · x[ih, j + kw·dW − pW ..] in registers.</summary>
    /// <remarks>Four vectors at a time, so the adds of one tap chain do not wait on each other's latency.</remarks>
    private static void DirectRowVector(ReadOnlySpan<float> xPlane, ReadOnlySpan<float> taps, Span<float> yRow, in Conv2dGeometry g,
        int ih0, int jStart, int jEnd)
    {
        ref float xr = ref MemoryMarshal.GetReference(xPlane);
        ref float yr = ref MemoryMarshal.GetReference(yRow);
        int w = g.Width, kwN = g.KernelW, dw = g.DilationW, pw = g.PadW, v = Vector<float>.Count;
        // Bounds: j + kw·dW − pW ∈ [0, W − V] for every interior j and kw (the caller cut [jStart, jEnd) so).
        int j = jStart;
        for (; j + 4 * v <= jEnd; j += 4 * v)
        {
            Vector<float> a0 = Vector.LoadUnsafe(ref yr, (nuint)j), a1 = Vector.LoadUnsafe(ref yr, (nuint)(j + v));
            Vector<float> a2 = Vector.LoadUnsafe(ref yr, (nuint)(j + 2 * v)), a3 = Vector.LoadUnsafe(ref yr, (nuint)(j + 3 * v));
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                int ih = ih0 + kh * g.DilationH;
                if ((uint)ih >= (uint)g.Height) continue;
                nuint rowBase = (nuint)(ih * w + j - pw);
                for (int kw = 0; kw < kwN; kw++)
                {
                    var t = new Vector<float>(taps[kh * kwN + kw]);
                    nuint at = rowBase + (nuint)(kw * dw);
                    a0 += t * Vector.LoadUnsafe(ref xr, at);
                    a1 += t * Vector.LoadUnsafe(ref xr, at + (nuint)v);
                    a2 += t * Vector.LoadUnsafe(ref xr, at + (nuint)(2 * v));
                    a3 += t * Vector.LoadUnsafe(ref xr, at + (nuint)(3 * v));
                }
            }
            a0.StoreUnsafe(ref yr, (nuint)j);
            a1.StoreUnsafe(ref yr, (nuint)(j + v));
            a2.StoreUnsafe(ref yr, (nuint)(j + 2 * v));
            a3.StoreUnsafe(ref yr, (nuint)(j + 3 * v));
        }
        for (; j < jEnd; j += v)
        {
            Vector<float> acc = Vector.LoadUnsafe(ref yr, (nuint)j);
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                int ih = ih0 + kh * g.DilationH;
                if ((uint)ih >= (uint)g.Height) continue;
                nuint rowBase = (nuint)(ih * w + j - pw);
                for (int kw = 0; kw < kwN; kw++)
                    acc += new Vector<float>(taps[kh * kwN + kw]) * Vector.LoadUnsafe(ref xr, rowBase + (nuint)(kw * dw));
            }
            acc.StoreUnsafe(ref yr, (nuint)j);
        }
    }

    /// <summary>Strided interior of one output row, four columns at a time in independent scalar sums.</summary>
    private static void DirectRowStrided(ReadOnlySpan<float> xPlane, ReadOnlySpan<float> taps, Span<float> yRow, in Conv2dGeometry g,
        int ih0, int jStart, int jEnd)
    {
        int sw = g.StrideW, j = jStart;
        for (; j + 4 <= jEnd; j += 4)
        {
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                int ih = ih0 + kh * g.DilationH;
                if ((uint)ih >= (uint)g.Height) continue;
                ReadOnlySpan<float> xRow = xPlane.Slice(ih * g.Width, g.Width);
                for (int kw = 0; kw < g.KernelW; kw++)
                {
                    float t = taps[kh * g.KernelW + kw];
                    int iw = j * sw - g.PadW + kw * g.DilationW;
                    s0 += t * xRow[iw];
                    s1 += t * xRow[iw + sw];
                    s2 += t * xRow[iw + 2 * sw];
                    s3 += t * xRow[iw + 3 * sw];
                }
            }
            yRow[j] += s0;
            yRow[j + 1] += s1;
            yRow[j + 2] += s2;
            yRow[j + 3] += s3;
        }
        for (; j < jEnd; j++) yRow[j] += DirectPoint(xPlane, taps, g, ih0, j * sw - g.PadW, checkColumns: false);
    }

    /// <summary>One output value's sum over all taps; checks columns only at the border.</summary>
    private static float DirectPoint(ReadOnlySpan<float> xPlane, ReadOnlySpan<float> taps, in Conv2dGeometry g, int ih0, int iw0, bool checkColumns)
    {
        float s = 0f;
        for (int kh = 0; kh < g.KernelH; kh++)
        {
            int ih = ih0 + kh * g.DilationH;
            if ((uint)ih >= (uint)g.Height) continue;
            ReadOnlySpan<float> xRow = xPlane.Slice(ih * g.Width, g.Width);
            for (int kw = 0; kw < g.KernelW; kw++)
            {
                int iw = iw0 + kw * g.DilationW;
                if (checkColumns && (uint)iw >= (uint)g.Width) continue;
                s += taps[kh * g.KernelW + kw] * xRow[iw];
            }
        }
        return s;
    }

    /// <summary>Input gradient of <see cref="Direct"/> for input channels [<paramref name="cStart"/>, <paramref name="cEnd"/>) of one image.</summary>
    /// <param name="dy">[O, OH, OW], one image.</param>
    /// <param name="weight">[O, C/Groups, KH, KW].</param>
    /// <param name="dx">[C, H, W], one image; accumulated into.</param>
    /// <param name="g">The convolution's dimensions.</param>
    /// <param name="cStart">First input channel.</param>
    /// <param name="cEnd">One past the last input channel.</param>
    public static void DirectBackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> weight, Span<float> dx, in Conv2dGeometry g,
        int cStart, int cEnd)
    {
        int h = g.Height, w = g.Width, hw = h * w, oh = g.OutH, ow = g.OutW, ohw = oh * ow;
        int cg = g.GroupChannels, og = g.GroupOutChannels, kk = g.KernelH * g.KernelW;
        RequireLength(dy, g.OutChannels * ohw, "dy");
        RequireLength(weight, g.OutChannels * cg * kk, "weight");
        RequireLength(dx, g.Channels * hw, "dx");
        for (int c = cStart; c < cEnd; c++)
        {
            Span<float> dxPlane = dx.Slice(c * hw, hw);
            int group = c / cg, ci = c % cg;
            for (int o = group * og; o < (group + 1) * og; o++)
            {
                ReadOnlySpan<float> dyPlane = dy.Slice(o * ohw, ohw);
                ReadOnlySpan<float> taps = weight.Slice((o * cg + ci) * kk, kk);
                for (int kh = 0; kh < g.KernelH; kh++)
                {
                    int offH = kh * g.DilationH - g.PadH;
                    (int ohLo, int ohHi) = ValidRange(oh, g.StrideH, offH, h);
                    for (int kw = 0; kw < g.KernelW; kw++)
                    {
                        int offW = kw * g.DilationW - g.PadW;
                        (int owLo, int owHi) = ValidRange(ow, g.StrideW, offW, w);
                        if (owLo == owHi) continue;
                        float tap = taps[kh * g.KernelW + kw];
                        for (int i = ohLo; i < ohHi; i++)
                        {
                            Span<float> d = dxPlane[((i * g.StrideH + offH) * w + owLo * g.StrideW + offW)..];
                            Axpy(dyPlane.Slice(i * ow + owLo, owHi - owLo), tap, d, g.StrideW);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Weight gradient of <see cref="Direct"/> from one image, for output channels [<paramref name="oStart"/>, <paramref name="oEnd"/>).</summary>
    /// <param name="dy">[O, OH, OW], one image.</param>
    /// <param name="x">[C, H, W], one image.</param>
    /// <param name="dWeight">[O, C/Groups, KH, KW]; accumulated into.</param>
    /// <param name="g">The convolution's dimensions.</param>
    /// <param name="oStart">First output channel.</param>
    /// <param name="oEnd">One past the last output channel.</param>
    /// <remarks>Effectively computes dWeight[o, c, kh, kw] += Σ_{oh,ow} dy[o, oh, ow] · x[g(o)·C/G + c, ih, iw].</remarks>
    public static void DirectBackwardWeight(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dWeight, in Conv2dGeometry g,
        int oStart, int oEnd)
    {
        int h = g.Height, w = g.Width, hw = h * w, oh = g.OutH, ow = g.OutW, ohw = oh * ow;
        int cg = g.GroupChannels, og = g.GroupOutChannels, kk = g.KernelH * g.KernelW;
        RequireLength(dy, g.OutChannels * ohw, "dy");
        RequireLength(x, g.Channels * hw, "x");
        RequireLength(dWeight, g.OutChannels * cg * kk, "dWeight");
        for (int o = oStart; o < oEnd; o++)
        {
            ReadOnlySpan<float> dyPlane = dy.Slice(o * ohw, ohw);
            int cBase = o / og * cg;
            for (int ci = 0; ci < cg; ci++)
            {
                ReadOnlySpan<float> xPlane = x.Slice((cBase + ci) * hw, hw);
                Span<float> dTaps = dWeight.Slice((o * cg + ci) * kk, kk);
                for (int kh = 0; kh < g.KernelH; kh++)
                {
                    int offH = kh * g.DilationH - g.PadH;
                    (int ohLo, int ohHi) = ValidRange(oh, g.StrideH, offH, h);
                    for (int kw = 0; kw < g.KernelW; kw++)
                    {
                        int offW = kw * g.DilationW - g.PadW;
                        (int owLo, int owHi) = ValidRange(ow, g.StrideW, offW, w);
                        if (owLo == owHi) continue;
                        float acc = 0f;
                        for (int i = ohLo; i < ohHi; i++)
                        {
                            ReadOnlySpan<float> src = xPlane[((i * g.StrideH + offH) * w + owLo * g.StrideW + offW)..];
                            acc += Dot(dyPlane.Slice(i * ow + owLo, owHi - owLo), src, g.StrideW);
                        }
                        dTaps[kh * g.KernelW + kw] += acc;
                    }
                }
            }
        }
    }

    /// <summary>The output positions [Lo, Hi) whose input coordinate o·stride + offset falls inside [0, inLen).</summary>
    internal static (int Lo, int Hi) ValidRange(int outLen, int stride, int offset, int inLen)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int hi = inLen - offset <= 0 ? 0 : (inLen - offset + stride - 1) / stride;
        lo = Math.Min(lo, outLen);
        hi = Math.Clamp(hi, lo, outLen);
        return (lo, hi);
    }

    /// <summary>y[j·stride] += a · x[j] for j &lt; x.Length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(ReadOnlySpan<float> x, float a, Span<float> y, int stride)
    {
        int n = x.Length;
        if (stride == 2 && Avx2.IsSupported)
        {
            AxpyEven(x, a, y);
            return;
        }
        if (stride != 1)
        {
            for (int j = 0; j < n; j++) y[j * stride] += a * x[j];
            return;
        }
        if (y.Length < n) throw new ArgumentException("Conv2dKernels: destination row is shorter than the source row.", nameof(y));
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var va = new Vector<float>(a);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> vy = Vector.LoadUnsafe(ref yr, (nuint)i) + va * Vector.LoadUnsafe(ref xr, (nuint)i);
                vy.StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref yr, i) += a * Unsafe.Add(ref xr, i);
    }

    /// <summary>y[2j] += a · x[j] (the col2im of stride-2 convs), eight at a time: the products are interleaved into two
    /// vectors of y and added, and a blend keeps the odd elements as they were (so even −0 survives).</summary>
    private static void AxpyEven(ReadOnlySpan<float> x, float a, Span<float> y)
    {
        int n = x.Length, j = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        Vector256<float> va = Vector256.Create(a);
        // Both stores stay inside y: they cover y[2j .. 2j + 16).
        for (; j + 8 <= n && 2 * j + 16 <= y.Length; j += 8)
        {
            Vector256<float> p = Vector256.LoadUnsafe(ref xr, (nuint)j) * va;
            // unpack: p0 0 p1 0 | p4 0 p5 0 and p2 0 p3 0 | p6 0 p7 0; the lane permutes put them back in order.
            Vector256<float> lo = Avx.UnpackLow(p, Vector256<float>.Zero), hi = Avx.UnpackHigh(p, Vector256<float>.Zero);
            Vector256<float> first = Avx.Permute2x128(lo, hi, 0x20), second = Avx.Permute2x128(lo, hi, 0x31);
            Vector256<float> y0 = Vector256.LoadUnsafe(ref yr, (nuint)(2 * j)), y1 = Vector256.LoadUnsafe(ref yr, (nuint)(2 * j + 8));
            Avx.Blend(y0 + first, y0, 0b1010_1010).StoreUnsafe(ref yr, (nuint)(2 * j));
            Avx.Blend(y1 + second, y1, 0b1010_1010).StoreUnsafe(ref yr, (nuint)(2 * j + 8));
        }
        for (; j < n; j++) y[2 * j] += a * x[j];
    }

    /// <summary>Σ_j a[j] · b[j·stride].</summary>
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int stride)
    {
        if (stride == 1) return System.Numerics.Tensors.TensorPrimitives.Dot(a, b[..a.Length]);
        float s = 0f;
        for (int j = 0; j < a.Length; j++) s += a[j] * b[j * stride];
        return s;
    }

    private static void RequireBlock(ReadOnlySpan<float> col, in Conv2dGeometry g, int colStart, int colCount, int ldCol, string name)
    {
        if (colStart < 0 || colCount < 0 || colStart + colCount > g.ColCols || ldCol < colCount)
            throw new ArgumentException(
                $"Conv2dKernels: column block [{colStart}, {colStart + colCount}) with row stride {ldCol} does not fit {g.ColCols} output positions.", name);
        if (g.ColRows > 0 && colCount > 0) RequireLength(col, (g.ColRows - 1) * ldCol + colCount, name);
    }

    private static void RequireLength(ReadOnlySpan<float> span, int length, string name)
    {
        if (span.Length < length)
            throw new ArgumentException($"Conv2dKernels: {name} holds {span.Length} values but the geometry needs {length}.", name);
    }
}
