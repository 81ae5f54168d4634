// Pillow's separable resampler, reproduced operation for operation so that our bytes equal Pillow's: per output
// pixel a window of the filter stretched by the downscale factor (so downscaling antialiases), weights normalised
// to sum 1 in double, then rounded to 22-bit fixed point; a horizontal pass over the rows the vertical pass needs,
// then a vertical pass, each rounding and clipping to uint8. Images with alpha are premultiplied first and
// un-premultiplied after, as Image.resize does for LA and RGBA.
// Reference: Pillow 9.4 src/libImaging/Resample.c (precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal_8bpc / Vertical_8bpc, ImagingResampleInner), Convert.c (rgbA2rgba / rgba2rgbA),
// and PIL/Image.py Image.resize.

namespace Unravel.IO.Images;

internal static class PilResample
{
    private const int PrecisionBits = 32 - 8 - 2;

    public static Image Resize(Image src, int width, int height, ResampleFilter filter)
    {
        if (width == src.Width && height == src.Height)
            return src.Clone();
        if (!src.HasAlpha)
            return ResizeCore(src, width, height, filter);
        Image resized = ResizeCore(Premultiply(src), width, height, filter);
        Unpremultiply(resized);
        return resized;
    }

    private static Image ResizeCore(Image src, int width, int height, ResampleFilter filter)
    {
        int ch = src.Channels;
        bool needH = width != src.Width, needV = height != src.Height;
        int[] kv = Coefficients(src.Height, height, filter, out int[] boundsV, out int ksizeV);
        int yFirst = boundsV[0], yLast = boundsV[2 * (height - 1)] + boundsV[2 * (height - 1) + 1];
        Image cur = src;
        if (needH)
        {
            int[] kh = Coefficients(src.Width, width, filter, out int[] boundsH, out int ksizeH);
            for (int i = 0; i < height; i++)
                boundsV[2 * i] -= yFirst;
            var tmp = Image.Create(width, yLast - yFirst, ch);
            Horizontal(src, tmp, yFirst, kh, boundsH, ksizeH);
            cur = tmp;
        }
        if (!needV)
            return cur;
        var dst = Image.Create(cur.Width, height, ch);
        Vertical(cur, dst, kv, boundsV, ksizeV);
        return dst;
    }

    /// <summary>precompute_coeffs + normalize_coeffs_8bpc for the box (0, inSize): per output index, the first
    /// input index and count (in <paramref name="bounds"/>) and <paramref name="ksize"/> fixed-point weights.</summary>
    private static int[] Coefficients(int inSize, int outSize, ResampleFilter filter, out int[] bounds, out int ksize)
    {
        double filterSupport = filter == ResampleFilter.Bicubic ? 2.0 : 1.0;
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = filterSupport * filterScale;
        ksize = (int)Math.Ceiling(support) * 2 + 1;
        bounds = new int[outSize * 2];
        int[] kk = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ww = 0.0, ss = 1.0 / filterScale;
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0)
                xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize)
                xmax = inSize;
            xmax -= xmin;
            for (int x = 0; x < xmax; x++)
            {
                double w = Filter(filter, (x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++)
            {
                if (ww != 0.0)
                    k[x] /= ww;
            }
            for (int x = 0; x < xmax; x++)
            {
                double v = k[x] * (1 << PrecisionBits);
                kk[xx * ksize + x] = k[x] < 0 ? (int)(-0.5 + v) : (int)(0.5 + v);
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return kk;
    }

    private static double Filter(ResampleFilter filter, double x)
    {
        if (x < 0.0)
            x = -x;
        if (filter == ResampleFilter.Bilinear)
            return x < 1.0 ? 1.0 - x : 0.0;
        const double a = -0.5;
        if (x < 1.0)
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0)
            return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    private static void Horizontal(Image src, Image dst, int rowOffset, int[] kk, int[] bounds, int ksize)
    {
        int ch = src.Channels, sw = src.Width, dw = dst.Width;
        byte[] s = src.Pixels, d = dst.Pixels;
        for (int yy = 0; yy < dst.Height; yy++)
        {
            int srow = (yy + rowOffset) * sw * ch, drow = yy * dw * ch;
            for (int xx = 0; xx < dw; xx++)
            {
                int xmin = bounds[2 * xx], xmax = bounds[2 * xx + 1], kb = xx * ksize;
                for (int c = 0; c < ch; c++)
                {
                    int acc = 1 << (PrecisionBits - 1);
                    for (int x = 0; x < xmax; x++)
                        acc += s[srow + (x + xmin) * ch + c] * kk[kb + x];
                    d[drow + xx * ch + c] = Clip8(acc);
                }
            }
        }
    }

    private static void Vertical(Image src, Image dst, int[] kk, int[] bounds, int ksize)
    {
        int rowLen = src.Width * src.Channels;
        byte[] s = src.Pixels, d = dst.Pixels;
        for (int yy = 0; yy < dst.Height; yy++)
        {
            int ymin = bounds[2 * yy], ymax = bounds[2 * yy + 1], kb = yy * ksize;
            for (int i = 0; i < rowLen; i++)
            {
                int acc = 1 << (PrecisionBits - 1);
                for (int y = 0; y < ymax; y++)
                    acc += s[(y + ymin) * rowLen + i] * kk[kb + y];
                d[yy * rowLen + i] = Clip8(acc);
            }
        }
    }

    private static byte Clip8(int v)
    {
        int x = v >> PrecisionBits;
        return (byte)(x < 0 ? 0 : x > 255 ? 255 : x);
    }

    /// <summary>Pillow's RGBA → RGBa (and LA → La): colour · alpha / 255 with MULDIV255 rounding.</summary>
    private static Image Premultiply(Image src)
    {
        Image p = src.Clone();
        byte[] px = p.Pixels;
        int ch = p.Channels;
        for (int i = 0; i < px.Length; i += ch)
        {
            int alpha = px[i + ch - 1];
            for (int c = 0; c < ch - 1; c++)
            {
                int tmp = px[i + c] * alpha + 128;
                px[i + c] = (byte)(((tmp >> 8) + tmp) >> 8);
            }
        }
        return p;
    }

    /// <summary>Pillow's RGBa → RGBA (and La → LA): colour · 255 / alpha, truncated and clipped; alpha 0 and 255
    /// leave the colour as is.</summary>
    private static void Unpremultiply(Image img)
    {
        byte[] px = img.Pixels;
        int ch = img.Channels;
        for (int i = 0; i < px.Length; i += ch)
        {
            int alpha = px[i + ch - 1];
            if (alpha is 0 or 255)
                continue;
            for (int c = 0; c < ch - 1; c++)
                px[i + c] = (byte)Math.Min(255, 255 * px[i + c] / alpha);
        }
    }
}
