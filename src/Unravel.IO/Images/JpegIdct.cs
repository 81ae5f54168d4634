// The "islow" integer inverse DCT of libjpeg (jidctint.c, Loeffler-Ligtenberg-Moschytz with 13-bit constants,
// two passes with 2 extra bits between them), which is what libjpeg-turbo, and so Pillow and torchvision, use by
// default. Reproducing it operation for operation is what makes our pixels equal to Pillow's.
// Reference: libjpeg 6b / libjpeg-turbo jidctint.c; C. Loeffler, A. Ligtenberg, G. Moschytz, "Practical fast 1-D
// DCT algorithms with 11 multiplications", ICASSP 1989.

namespace Unravel.IO.Images;

internal static class JpegIdct
{
    private const int ConstBits = 13;
    private const int Pass1Bits = 2;

    private const int Fix0_298631336 = 2446;
    private const int Fix0_390180644 = 3196;
    private const int Fix0_541196100 = 4433;
    private const int Fix0_765366865 = 6270;
    private const int Fix0_899976223 = 7373;
    private const int Fix1_175875602 = 9633;
    private const int Fix1_501321110 = 12299;
    private const int Fix1_847759065 = 15137;
    private const int Fix1_961570560 = 16069;
    private const int Fix2_053119869 = 16819;
    private const int Fix2_562915447 = 20995;
    private const int Fix3_072711026 = 25172;

    /// <summary>Inverse-transforms one 8×8 block of quantized coefficients (natural order) into 8 rows of 8
    /// samples at <paramref name="output"/> with row pitch <paramref name="stride"/>.</summary>
    /// <remarks>The workspace is 64 ints of scratch, reused across calls.</remarks>
    public static void Islow(ReadOnlySpan<short> coef, ReadOnlySpan<ushort> quant, Span<byte> output, int stride,
        Span<int> workspace)
    {
        // Pass 1: columns from input into the workspace, scaled up by sqrt(8) · 2^Pass1Bits.
        for (int c = 0; c < 8; c++)
        {
            if (coef[8 + c] == 0 && coef[16 + c] == 0 && coef[24 + c] == 0 && coef[32 + c] == 0 &&
                coef[40 + c] == 0 && coef[48 + c] == 0 && coef[56 + c] == 0)
            {
                int dc = (coef[c] * quant[c]) << Pass1Bits;
                for (int r = 0; r < 8; r++)
                    workspace[r * 8 + c] = dc;
                continue;
            }

            int z2 = coef[16 + c] * quant[16 + c];
            int z3 = coef[48 + c] * quant[48 + c];
            int z1 = (z2 + z3) * Fix0_541196100;
            int tmp2 = z1 + z3 * -Fix1_847759065;
            int tmp3 = z1 + z2 * Fix0_765366865;

            z2 = coef[c] * quant[c];
            z3 = coef[32 + c] * quant[32 + c];
            int tmp0 = (z2 + z3) << ConstBits;
            int tmp1 = (z2 - z3) << ConstBits;

            int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = coef[56 + c] * quant[56 + c];
            tmp1 = coef[40 + c] * quant[40 + c];
            tmp2 = coef[24 + c] * quant[24 + c];
            tmp3 = coef[8 + c] * quant[8 + c];
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int s1 = ConstBits - Pass1Bits;
            workspace[c] = Descale(tmp10 + tmp3, s1);
            workspace[56 + c] = Descale(tmp10 - tmp3, s1);
            workspace[8 + c] = Descale(tmp11 + tmp2, s1);
            workspace[48 + c] = Descale(tmp11 - tmp2, s1);
            workspace[16 + c] = Descale(tmp12 + tmp1, s1);
            workspace[40 + c] = Descale(tmp12 - tmp1, s1);
            workspace[24 + c] = Descale(tmp13 + tmp0, s1);
            workspace[32 + c] = Descale(tmp13 - tmp0, s1);
        }

        // Pass 2: rows from the workspace; undo the sqrt(8)·sqrt(8) = 8 and the Pass1Bits scaling, add 128.
        const int s2 = ConstBits + Pass1Bits + 3;
        for (int r = 0; r < 8; r++)
        {
            Span<int> w = workspace.Slice(r * 8, 8);
            Span<byte> o = output.Slice(r * stride, 8);
            if (w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0)
            {
                o.Fill(RangeLimit(Descale(w[0], Pass1Bits + 3)));
                continue;
            }

            int z2 = w[2], z3 = w[6];
            int z1 = (z2 + z3) * Fix0_541196100;
            int tmp2 = z1 + z3 * -Fix1_847759065;
            int tmp3 = z1 + z2 * Fix0_765366865;
            int tmp0 = (w[0] + w[4]) << ConstBits;
            int tmp1 = (w[0] - w[4]) << ConstBits;

            int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = w[7];
            tmp1 = w[5];
            tmp2 = w[3];
            tmp3 = w[1];
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            o[0] = RangeLimit(Descale(tmp10 + tmp3, s2));
            o[7] = RangeLimit(Descale(tmp10 - tmp3, s2));
            o[1] = RangeLimit(Descale(tmp11 + tmp2, s2));
            o[6] = RangeLimit(Descale(tmp11 - tmp2, s2));
            o[2] = RangeLimit(Descale(tmp12 + tmp1, s2));
            o[5] = RangeLimit(Descale(tmp12 - tmp1, s2));
            o[3] = RangeLimit(Descale(tmp13 + tmp0, s2));
            o[4] = RangeLimit(Descale(tmp13 - tmp0, s2));
        }
    }

    /// <summary>The odd part (figure 8 of Loeffler et al.): inputs y7, y5, y3, y1 in tmp0..tmp3, outputs in place.</summary>
    private static void Odd(ref int tmp0, ref int tmp1, ref int tmp2, ref int tmp3)
    {
        int z1 = tmp0 + tmp3, z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3;
        int z5 = (z3 + z4) * Fix1_175875602;

        tmp0 *= Fix0_298631336;
        tmp1 *= Fix2_053119869;
        tmp2 *= Fix3_072711026;
        tmp3 *= Fix1_501321110;
        z1 *= -Fix0_899976223;
        z2 *= -Fix2_562915447;
        z3 *= -Fix1_961570560;
        z4 *= -Fix0_390180644;

        z3 += z5;
        z4 += z5;

        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
    }

    private static int Descale(int x, int n) => (x + (1 << (n - 1))) >> n;

    /// <summary>Adds the level shift and clamps to 0..255, as libjpeg-turbo's SIMD IDCT does (its C code's
    /// 1024-entry wrap-around table differs only for outputs beyond ±512, which valid data never produce).</summary>
    private static byte RangeLimit(int x) => (byte)Math.Clamp(x + 128, 0, 255);
}
