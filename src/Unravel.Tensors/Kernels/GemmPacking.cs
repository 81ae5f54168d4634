// Packing for the blocked GEMM: copies a block of op(A) into MR-row micro-panels and a block of op(B) into NR-column
// micro-panels (BLIS layout, zero padded to whole panels), so the micro-kernel reads both with unit stride.
// The transposing cases (A not transposed, B transposed) move 8×8 (or 4×8) blocks through AVX registers; a scalar
// gather there cost ~15 % of a 1024³ product.
// Reference: Van Zee & van de Geijn, "BLIS", TOMS 2015, §4 (packing).

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unravel.Tensors.Kernels;

/// <summary>Packing routines of <see cref="ManagedGemm"/>.</summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] as MR-row micro-panels, each [kc, MR], zero padded at the bottom.</summary>
    /// <remarks>op(A)[i, q] is a[i·lda + q], or a[q·lda + i] when <paramref name="transA"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<TK>(float* a, int lda, bool transA, int ic, int mc, int pc, int kc, float* dst)
        where TK : struct, IGemmMicroKernel
    {
        int mr = TK.MR;
        if (transA)
        {
            CopyPanels(a + (nint)pc * lda + ic, lda, dst, mr, mc, kc);
            return;
        }
        for (int ir = 0; ir < mc; ir += mr, dst += (nint)kc * mr)
            TransposeRows(a + (nint)(ic + ir) * lda + pc, lda, dst, mr, Math.Min(mr, mc - ir), kc);
    }

    /// <summary>Packs op(B)[pc..pc+kc, jc..jc+nc] as NR-column micro-panels, each [kc, NR], zero padded on the right.</summary>
    /// <remarks>op(B)[q, j] is b[q·ldb + j], or b[j·ldb + q] when <paramref name="transB"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<TK>(float* b, int ldb, bool transB, int pc, int kc, int jc, int nc, float* dst)
        where TK : struct, IGemmMicroKernel
    {
        int nr = TK.NR;
        if (!transB)
        {
            CopyPanels(b + (nint)pc * ldb + jc, ldb, dst, nr, nc, kc);
            return;
        }
        for (int jr = 0; jr < nc; jr += nr, dst += (nint)kc * nr)
            TransposeRows(b + (nint)(jc + jr) * ldb + pc, ldb, dst, nr, Math.Min(nr, nc - jr), kc);
    }

    /// <summary>Cuts rows src[q·ld .. q·ld + count) for q &lt; kc into panels of <paramref name="width"/>:
    /// panel p, row q holds src[q·ld + p·width + t] (0 past count).</summary>
    /// <remarks>Walks each source row once, front to back: going panel by panel instead strides ld through up to kc
    /// pages per panel, which the hardware prefetcher does not follow (measured 2× slower packing).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPanels(float* src, int ld, float* dst, int width, int count, int kc)
    {
        int full = count / width, rest = count - full * width;
        nint panelSize = (nint)kc * width;
        for (int q = 0; q < kc; q++, src += ld)
        {
            float* d = dst + (nint)q * width;
            float* s = src;
            for (int p = 0; p < full; p++, s += width, d += panelSize)
                Unsafe.CopyBlockUnaligned(d, s, (uint)(width * sizeof(float)));
            if (rest > 0)
            {
                int t = 0;
                for (; t < rest; t++) d[t] = s[t];
                for (; t < width; t++) d[t] = 0f;
            }
        }
    }

    /// <summary>dst[q·width + t] = src[t·ld + q] for t &lt; valid, 0 for valid ≤ t &lt; width; q &lt; kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeRows(float* src, int ld, float* dst, int width, int valid, int kc)
    {
        int q = 0;
        if (valid == width && Avx.IsSupported)
        {
            for (; q + 8 <= kc; q += 8)
            {
                int t = 0;
                for (; t + 8 <= width; t += 8) Transpose8x8(src + (nint)t * ld + q, ld, dst + (nint)q * width + t, width);
                for (; t + 4 <= width; t += 4) Transpose4x8(src + (nint)t * ld + q, ld, dst + (nint)q * width + t, width);
                for (; t + 2 <= width; t += 2) Transpose2x8(src + (nint)t * ld + q, ld, dst + (nint)q * width + t, width);
                for (; t < width; t++)
                {
                    float* s = src + (nint)t * ld + q;
                    float* d = dst + (nint)q * width + t;
                    for (int u = 0; u < 8; u++) d[u * width] = s[u];
                }
            }
        }
        for (int t = 0; t < width; t++)
        {
            float* s = src + (nint)t * ld;
            float* d = dst + t;
            if (t < valid)
                for (int u = q; u < kc; u++) d[u * width] = s[u];
            else
                for (int u = q; u < kc; u++) d[u * width] = 0f;
        }
    }

    /// <summary>Writes the transpose of the 8×8 block at src (row stride ls) to dst (row stride ld).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint ls, float* dst, nint ld)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ls);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * ls), r3 = Avx.LoadVector256(src + 3 * ls);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * ls), r5 = Avx.LoadVector256(src + 5 * ls);
        Vector256<float> r6 = Avx.LoadVector256(src + 6 * ls), r7 = Avx.LoadVector256(src + 7 * ls);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        r0 = Avx.Shuffle(t0, t2, 0x44); r1 = Avx.Shuffle(t0, t2, 0xEE);
        r2 = Avx.Shuffle(t1, t3, 0x44); r3 = Avx.Shuffle(t1, t3, 0xEE);
        r4 = Avx.Shuffle(t4, t6, 0x44); r5 = Avx.Shuffle(t4, t6, 0xEE);
        r6 = Avx.Shuffle(t5, t7, 0x44); r7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(r0, r4, 0x20));
        Avx.Store(dst + ld, Avx.Permute2x128(r1, r5, 0x20));
        Avx.Store(dst + 2 * ld, Avx.Permute2x128(r2, r6, 0x20));
        Avx.Store(dst + 3 * ld, Avx.Permute2x128(r3, r7, 0x20));
        Avx.Store(dst + 4 * ld, Avx.Permute2x128(r0, r4, 0x31));
        Avx.Store(dst + 5 * ld, Avx.Permute2x128(r1, r5, 0x31));
        Avx.Store(dst + 6 * ld, Avx.Permute2x128(r2, r6, 0x31));
        Avx.Store(dst + 7 * ld, Avx.Permute2x128(r3, r7, 0x31));
    }

    /// <summary>Writes the transpose of the 4×8 block at src (row stride ls) as 8 rows of 4 at dst (row stride ld).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x8(float* src, nint ls, float* dst, nint ld)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ls);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * ls), r3 = Avx.LoadVector256(src + 3 * ls);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> c04 = Avx.Shuffle(t0, t2, 0x44), c15 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> c26 = Avx.Shuffle(t1, t3, 0x44), c37 = Avx.Shuffle(t1, t3, 0xEE);
        Sse.Store(dst, c04.GetLower());
        Sse.Store(dst + ld, c15.GetLower());
        Sse.Store(dst + 2 * ld, c26.GetLower());
        Sse.Store(dst + 3 * ld, c37.GetLower());
        Sse.Store(dst + 4 * ld, c04.GetUpper());
        Sse.Store(dst + 5 * ld, c15.GetUpper());
        Sse.Store(dst + 6 * ld, c26.GetUpper());
        Sse.Store(dst + 7 * ld, c37.GetUpper());
    }

    /// <summary>Writes the transpose of the 2×8 block at src (row stride ls) as 8 pairs at dst (row stride ld).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose2x8(float* src, nint ls, float* dst, nint ld)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ls);
        // Each 64-bit lane of the unpacks is one column's pair: lo holds columns 0, 1 | 4, 5 and hi 2, 3 | 6, 7.
        Vector256<double> lo = Avx.UnpackLow(r0, r1).AsDouble(), hi = Avx.UnpackHigh(r0, r1).AsDouble();
        Sse2.StoreScalar((double*)dst, lo.GetLower());
        Sse2.StoreHigh((double*)(dst + ld), lo.GetLower());
        Sse2.StoreScalar((double*)(dst + 2 * ld), hi.GetLower());
        Sse2.StoreHigh((double*)(dst + 3 * ld), hi.GetLower());
        Sse2.StoreScalar((double*)(dst + 4 * ld), lo.GetUpper());
        Sse2.StoreHigh((double*)(dst + 5 * ld), lo.GetUpper());
        Sse2.StoreScalar((double*)(dst + 6 * ld), hi.GetUpper());
        Sse2.StoreHigh((double*)(dst + 7 * ld), hi.GetUpper());
    }
}
