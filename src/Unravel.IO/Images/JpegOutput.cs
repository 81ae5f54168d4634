// From coefficients to pixels the way libjpeg-turbo does it by default (so our output equals Pillow's): islow
// IDCT per block, then per component libjpeg's upsampler choice (jdsample.c jinit_upsampler: "fancy" triangular
// h2v1 / h1v2 / h2v2 filters, box replication otherwise), then the fixed-point YCbCr → RGB tables of jdcolor.c.
// Image edges replicate the last real sample row/column of each component, as jdmainct.c's context pointers do.
// Reference: libjpeg-turbo 2.1 jdsample.c, jdcolor.c, jdmainct.c (set_bottom_pointers).

namespace Unravel.IO.Images;

internal static class JpegOutput
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);

    private static readonly int[] s_crR = new int[256], s_cbB = new int[256], s_crG = new int[256], s_cbG = new int[256];

    static JpegOutput()
    {
        // jdcolor.c build_ycc_rgb_table: FIX(x) = (int)(x * 65536 + 0.5).
        for (int i = 0; i < 256; i++)
        {
            int x = i - 128;
            s_crR[i] = (91881 * x + OneHalf) >> ScaleBits;    // 1.40200 · Cr
            s_cbB[i] = (116130 * x + OneHalf) >> ScaleBits;   // 1.77200 · Cb
            s_crG[i] = -46802 * x;                             // -0.71414 · Cr, scaled
            s_cbG[i] = -22554 * x + OneHalf;                   // -0.34414 · Cb, scaled, with rounding
        }
    }

    public static Image Render(JpegFrame frame, bool rgbCoded)
    {
        int w = frame.Width, h = frame.Height;
        JpegComponent[] comps = frame.Components;
        var planes = new byte[comps.Length][];
        for (int i = 0; i < comps.Length; i++)
            planes[i] = Upsample(comps[i], Idct(comps[i]), frame);

        if (comps.Length == 1)
            return new Image(w, h, 1, planes[0]);

        byte[] rgb = new byte[w * h * 3];
        byte[] p0 = planes[0], p1 = planes[1], p2 = planes[2];
        for (int i = 0; i < w * h; i++)
        {
            int o = i * 3;
            if (rgbCoded)
            {
                rgb[o] = p0[i];
                rgb[o + 1] = p1[i];
                rgb[o + 2] = p2[i];
                continue;
            }
            int y = p0[i], cb = p1[i], cr = p2[i];
            rgb[o] = Clamp(y + s_crR[cr]);
            rgb[o + 1] = Clamp(y + ((s_cbG[cb] + s_crG[cr]) >> ScaleBits));
            rgb[o + 2] = Clamp(y + s_cbB[cb]);
        }
        return new Image(w, h, 3, rgb);
    }

    /// <summary>The component's samples, BlocksPerLine·8 wide and BlocksPerColumn·8 high.</summary>
    private static byte[] Idct(JpegComponent c)
    {
        int stride = c.BlocksPerLine * 8;
        byte[] plane = new byte[stride * c.BlocksPerColumn * 8];
        Span<int> workspace = stackalloc int[64];
        ReadOnlySpan<ushort> quant = c.Quant ?? new ushort[64];  // a component no scan touched stays zero
        for (int by = 0; by < c.BlocksPerColumn; by++)
        {
            for (int bx = 0; bx < c.BlocksPerLine; bx++)
            {
                ReadOnlySpan<short> coef = c.Coefs.AsSpan((by * c.BlocksPerLineAlloc + bx) * 64, 64);
                JpegIdct.Islow(coef, quant, plane.AsSpan(by * 8 * stride + bx * 8), stride, workspace);
            }
        }
        return plane;
    }

    /// <summary>Scales one component to the full image size (Width × Height, tightly packed).</summary>
    private static byte[] Upsample(JpegComponent c, byte[] plane, JpegFrame frame)
    {
        int w = frame.Width, h = frame.Height, stride = c.BlocksPerLine * 8;
        int cw = c.Width, ch = c.Height;
        byte[] dst = new byte[w * h];
        bool h2 = c.H * 2 == frame.Hmax, v2 = c.V * 2 == frame.Vmax;
        bool hSame = c.H == frame.Hmax, vSame = c.V == frame.Vmax;

        if (hSame && vSame)
        {
            for (int y = 0; y < h; y++)
                plane.AsSpan(y * stride, w).CopyTo(dst.AsSpan(y * w));
        }
        else if (h2 && vSame && cw > 2)
        {
            for (int y = 0; y < h; y++)
                FancyRowH2(plane.AsSpan(y * stride, cw), dst.AsSpan(y * w, w), 1, 2);
        }
        else if (hSame && v2)
        {
            // h1v2: 3/4 nearer row + 1/4 further row, rounding bias 1 above, 2 below.
            for (int y = 0; y < h; y++)
            {
                int iy = y >> 1, bias = (y & 1) == 0 ? 1 : 2;
                int ny = (y & 1) == 0 ? Math.Max(iy - 1, 0) : Math.Min(iy + 1, ch - 1);
                ReadOnlySpan<byte> near = plane.AsSpan(iy * stride, w), far = plane.AsSpan(ny * stride, w);
                Span<byte> o = dst.AsSpan(y * w, w);
                for (int x = 0; x < w; x++)
                    o[x] = (byte)((near[x] * 3 + far[x] + bias) >> 2);
            }
        }
        else if (h2 && v2 && cw > 2)
        {
            // h2v2: vertical 3:1 column sums, then horizontal 3:1 with biases 8 / 7 (jdsample.c h2v2_fancy_upsample).
            int[] colsum = new int[cw];
            for (int y = 0; y < h; y++)
            {
                int iy = y >> 1;
                int ny = (y & 1) == 0 ? Math.Max(iy - 1, 0) : Math.Min(iy + 1, ch - 1);
                ReadOnlySpan<byte> near = plane.AsSpan(iy * stride, cw), far = plane.AsSpan(ny * stride, cw);
                for (int x = 0; x < cw; x++)
                    colsum[x] = near[x] * 3 + far[x];
                Span<byte> o = dst.AsSpan(y * w, w);
                for (int x = 0; x < cw; x++)
                {
                    int cur = colsum[x] * 3;
                    int left = colsum[Math.Max(x - 1, 0)], right = colsum[Math.Min(x + 1, cw - 1)];
                    if (2 * x < w)
                        o[2 * x] = (byte)((cur + left + 8) >> 4);
                    if (2 * x + 1 < w)
                        o[2 * x + 1] = (byte)((cur + right + 7) >> 4);
                }
            }
        }
        else
        {
            // Box replication: h2v1/h2v2 on components at most 2 samples wide, and every other integral ratio.
            if (frame.Hmax % c.H != 0 || frame.Vmax % c.V != 0)
                throw new InvalidOperationException("fractional sampling is rejected by the caller");
            int hx = frame.Hmax / c.H, vx = frame.Vmax / c.V;
            for (int y = 0; y < h; y++)
            {
                ReadOnlySpan<byte> src = plane.AsSpan(y / vx * stride, stride);
                Span<byte> o = dst.AsSpan(y * w, w);
                for (int x = 0; x < w; x++)
                    o[x] = src[x / hx];
            }
        }
        return dst;
    }

    /// <summary>h2v1 fancy upsampling of one row: 3/4 nearer + 1/4 further sample, rounding biases
    /// <paramref name="biasLeft"/> and <paramref name="biasRight"/> (jdsample.c h2v1_fancy_upsample).</summary>
    private static void FancyRowH2(ReadOnlySpan<byte> src, Span<byte> dst, int biasLeft, int biasRight)
    {
        int n = src.Length, w = dst.Length;
        for (int x = 0; x < n; x++)
        {
            int cur = src[x] * 3;
            if (2 * x < w)
                dst[2 * x] = (byte)((cur + src[Math.Max(x - 1, 0)] + biasLeft) >> 2);
            if (2 * x + 1 < w)
                dst[2 * x + 1] = (byte)((cur + src[Math.Min(x + 1, n - 1)] + biasRight) >> 2);
        }
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
