// GEMM micro-kernels: C[MR, NR] (+)= alpha · Apanel[kc, MR]ᵀ · Bpanel[kc, NR] on packed panels (BLIS layout: the A
// micro-panel holds MR values per k step, the B micro-panel NR values per k step, both 64-byte aligned).
// The accumulators are plain locals so the JIT keeps them in registers: taking the address of one, or a stackalloc in
// the kernel, makes it spill every accumulator (measured 4× slower). Check with DOTNET_JitDisasm=Kernel.
// Reference: Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", TOMS 2015.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unravel.Tensors.Kernels;

/// <summary>One micro-kernel shape; the packed driver is generic over it so MR and NR are JIT constants.</summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>Rows of the C tile (values per k step in an A micro-panel).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the C tile (values per k step in a B micro-panel).</summary>
    static abstract int NR { get; }

    /// <summary>C tile = alpha · acc + beta · C tile, acc summed over p = 0..kc-1 in order; beta = 0 does not read C.</summary>
    static abstract void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta);

    /// <summary>The raw sums (alpha 1, beta 0) of at least the first <paramref name="rows"/> rows of a tile into
    /// <paramref name="edge"/> [MR, NR]; a kernel may skip the rows past them. Each sum is rounded as in <see cref="Run"/>.</summary>
    static abstract void RunEdge(int kc, float* a, float* b, float* edge, int rows);
}

/// <summary>The micro-kernels, one struct per instruction set.</summary>
internal static unsafe class GemmMicroKernels
{
    /// <summary>Combines one accumulator element with C exactly as the vector stores do (no FMA contraction), so an
    /// edge tile rounds like a full tile and the result does not depend on where tiles fall.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Combine(float acc, float c, float alpha, float beta) =>
        beta == 0f ? acc * alpha : beta == 1f ? acc * alpha + c : acc * alpha + c * beta;

    /// <summary>Starts loading the C tile into L1 while the k loop runs: its rows are ldc apart, so the hardware
    /// prefetcher does not see them coming, and a miss per row at the end of each tile stalls the next one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, nint ldc, int rows, int lines)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < rows; r++, c += ldc)
        {
            Sse.Prefetch0(c);
            if (lines > 1) Sse.Prefetch0(c + 16);
            Sse.Prefetch0(c + 16 * lines - 1); // a row that is not 64-byte aligned spans one more line
        }
    }

    /// <summary>12×32 tile with 24 zmm accumulators (AVX-512F).</summary>
    public readonly struct Avx512 : IGemmMicroKernel
    {
        public static int MR => 12;
        public static int NR => 32;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
            Vector512<float> c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
            PrefetchTile(c, ldc, 12, 2);
            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.LoadAligned(b), b1 = Vector512.LoadAligned(b + 16);
                Vector512<float> t = Vector512.Create(a[0]);
                c00 = Avx512F.FusedMultiplyAdd(t, b0, c00); c01 = Avx512F.FusedMultiplyAdd(t, b1, c01);
                t = Vector512.Create(a[1]);
                c10 = Avx512F.FusedMultiplyAdd(t, b0, c10); c11 = Avx512F.FusedMultiplyAdd(t, b1, c11);
                t = Vector512.Create(a[2]);
                c20 = Avx512F.FusedMultiplyAdd(t, b0, c20); c21 = Avx512F.FusedMultiplyAdd(t, b1, c21);
                t = Vector512.Create(a[3]);
                c30 = Avx512F.FusedMultiplyAdd(t, b0, c30); c31 = Avx512F.FusedMultiplyAdd(t, b1, c31);
                t = Vector512.Create(a[4]);
                c40 = Avx512F.FusedMultiplyAdd(t, b0, c40); c41 = Avx512F.FusedMultiplyAdd(t, b1, c41);
                t = Vector512.Create(a[5]);
                c50 = Avx512F.FusedMultiplyAdd(t, b0, c50); c51 = Avx512F.FusedMultiplyAdd(t, b1, c51);
                t = Vector512.Create(a[6]);
                c60 = Avx512F.FusedMultiplyAdd(t, b0, c60); c61 = Avx512F.FusedMultiplyAdd(t, b1, c61);
                t = Vector512.Create(a[7]);
                c70 = Avx512F.FusedMultiplyAdd(t, b0, c70); c71 = Avx512F.FusedMultiplyAdd(t, b1, c71);
                t = Vector512.Create(a[8]);
                c80 = Avx512F.FusedMultiplyAdd(t, b0, c80); c81 = Avx512F.FusedMultiplyAdd(t, b1, c81);
                t = Vector512.Create(a[9]);
                c90 = Avx512F.FusedMultiplyAdd(t, b0, c90); c91 = Avx512F.FusedMultiplyAdd(t, b1, c91);
                t = Vector512.Create(a[10]);
                cA0 = Avx512F.FusedMultiplyAdd(t, b0, cA0); cA1 = Avx512F.FusedMultiplyAdd(t, b1, cA1);
                t = Vector512.Create(a[11]);
                cB0 = Avx512F.FusedMultiplyAdd(t, b0, cB0); cB1 = Avx512F.FusedMultiplyAdd(t, b1, cB1);
                a += 12;
                b += 32;
            }
            Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
            Store(c, c00, c01, va, vb, beta); c += ldc;
            Store(c, c10, c11, va, vb, beta); c += ldc;
            Store(c, c20, c21, va, vb, beta); c += ldc;
            Store(c, c30, c31, va, vb, beta); c += ldc;
            Store(c, c40, c41, va, vb, beta); c += ldc;
            Store(c, c50, c51, va, vb, beta); c += ldc;
            Store(c, c60, c61, va, vb, beta); c += ldc;
            Store(c, c70, c71, va, vb, beta); c += ldc;
            Store(c, c80, c81, va, vb, beta); c += ldc;
            Store(c, c90, c91, va, vb, beta); c += ldc;
            Store(c, cA0, cA1, va, vb, beta); c += ldc;
            Store(c, cB0, cB1, va, vb, beta);
        }

        /// <remarks>Row panels of 4 or 8 rows use a shorter kernel: C heights such as 64 (= 5·12 + 4) would otherwise
        /// spend a sixth of their tiles two-thirds empty.</remarks>
        public static void RunEdge(int kc, float* a, float* b, float* edge, int rows)
        {
            if (rows <= 4) Rows<Four>(kc, a, b, edge);
            else if (rows <= 8) Rows<Eight>(kc, a, b, edge);
            else Run(kc, a, b, edge, 32, 1f, 0f);
        }

        private interface IRowCount { static abstract int Value { get; } }
        private readonly struct Four : IRowCount { public static int Value => 4; }
        private readonly struct Eight : IRowCount { public static int Value => 8; }

        /// <summary>Raw sums of the first 4 or 8 rows of a 12-row packed A panel, stored [rows, 32] at edge.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Rows<TRows>(int kc, float* a, float* b, float* edge) where TRows : struct, IRowCount
        {
            Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.LoadAligned(b), b1 = Vector512.LoadAligned(b + 16);
                Vector512<float> t = Vector512.Create(a[0]);
                c00 = Avx512F.FusedMultiplyAdd(t, b0, c00); c01 = Avx512F.FusedMultiplyAdd(t, b1, c01);
                t = Vector512.Create(a[1]);
                c10 = Avx512F.FusedMultiplyAdd(t, b0, c10); c11 = Avx512F.FusedMultiplyAdd(t, b1, c11);
                t = Vector512.Create(a[2]);
                c20 = Avx512F.FusedMultiplyAdd(t, b0, c20); c21 = Avx512F.FusedMultiplyAdd(t, b1, c21);
                t = Vector512.Create(a[3]);
                c30 = Avx512F.FusedMultiplyAdd(t, b0, c30); c31 = Avx512F.FusedMultiplyAdd(t, b1, c31);
                if (TRows.Value > 4)
                {
                    t = Vector512.Create(a[4]);
                    c40 = Avx512F.FusedMultiplyAdd(t, b0, c40); c41 = Avx512F.FusedMultiplyAdd(t, b1, c41);
                    t = Vector512.Create(a[5]);
                    c50 = Avx512F.FusedMultiplyAdd(t, b0, c50); c51 = Avx512F.FusedMultiplyAdd(t, b1, c51);
                    t = Vector512.Create(a[6]);
                    c60 = Avx512F.FusedMultiplyAdd(t, b0, c60); c61 = Avx512F.FusedMultiplyAdd(t, b1, c61);
                    t = Vector512.Create(a[7]);
                    c70 = Avx512F.FusedMultiplyAdd(t, b0, c70); c71 = Avx512F.FusedMultiplyAdd(t, b1, c71);
                }
                a += 12;
                b += 32;
            }
            c00.StoreAligned(edge); c01.StoreAligned(edge + 16);
            c10.StoreAligned(edge + 32); c11.StoreAligned(edge + 48);
            c20.StoreAligned(edge + 64); c21.StoreAligned(edge + 80);
            c30.StoreAligned(edge + 96); c31.StoreAligned(edge + 112);
            if (TRows.Value > 4)
            {
                c40.StoreAligned(edge + 128); c41.StoreAligned(edge + 144);
                c50.StoreAligned(edge + 160); c51.StoreAligned(edge + 176);
                c60.StoreAligned(edge + 192); c61.StoreAligned(edge + 208);
                c70.StoreAligned(edge + 224); c71.StoreAligned(edge + 240);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> va, Vector512<float> vb, float beta)
        {
            x0 *= va;
            x1 *= va;
            if (beta == 1f)
            {
                x0 += Vector512.Load(c);
                x1 += Vector512.Load(c + 16);
            }
            else if (beta != 0f)
            {
                x0 += Vector512.Load(c) * vb;
                x1 += Vector512.Load(c + 16) * vb;
            }
            Vector512.Store(x0, c);
            Vector512.Store(x1, c + 16);
        }
    }

    /// <summary>6×16 tile with 12 ymm accumulators (AVX2 + FMA).</summary>
    public readonly struct Avx2 : IGemmMicroKernel
    {
        public static int MR => 6;
        public static int NR => 16;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            PrefetchTile(c, ldc, 6, 1);
            for (int p = 0; p < kc; p++)
            {
                Vector256<float> b0 = Vector256.LoadAligned(b), b1 = Vector256.LoadAligned(b + 8);
                Vector256<float> t = Vector256.Create(a[0]);
                c00 = Fma.MultiplyAdd(t, b0, c00); c01 = Fma.MultiplyAdd(t, b1, c01);
                t = Vector256.Create(a[1]);
                c10 = Fma.MultiplyAdd(t, b0, c10); c11 = Fma.MultiplyAdd(t, b1, c11);
                t = Vector256.Create(a[2]);
                c20 = Fma.MultiplyAdd(t, b0, c20); c21 = Fma.MultiplyAdd(t, b1, c21);
                t = Vector256.Create(a[3]);
                c30 = Fma.MultiplyAdd(t, b0, c30); c31 = Fma.MultiplyAdd(t, b1, c31);
                t = Vector256.Create(a[4]);
                c40 = Fma.MultiplyAdd(t, b0, c40); c41 = Fma.MultiplyAdd(t, b1, c41);
                t = Vector256.Create(a[5]);
                c50 = Fma.MultiplyAdd(t, b0, c50); c51 = Fma.MultiplyAdd(t, b1, c51);
                a += 6;
                b += 16;
            }
            Vector256<float> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
            Store(c, c00, c01, va, vb, beta); c += ldc;
            Store(c, c10, c11, va, vb, beta); c += ldc;
            Store(c, c20, c21, va, vb, beta); c += ldc;
            Store(c, c30, c31, va, vb, beta); c += ldc;
            Store(c, c40, c41, va, vb, beta); c += ldc;
            Store(c, c50, c51, va, vb, beta);
        }

        public static void RunEdge(int kc, float* a, float* b, float* edge, int rows) => Run(kc, a, b, edge, 16, 1f, 0f);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> va, Vector256<float> vb, float beta)
        {
            x0 *= va;
            x1 *= va;
            if (beta == 1f)
            {
                x0 += Vector256.Load(c);
                x1 += Vector256.Load(c + 8);
            }
            else if (beta != 0f)
            {
                x0 += Vector256.Load(c) * vb;
                x1 += Vector256.Load(c + 8) * vb;
            }
            Vector256.Store(x0, c);
            Vector256.Store(x1, c + 8);
        }
    }

    /// <summary>4×8 tile with 8 Vector128 accumulators: the fallback without AVX2/FMA (SSE, ARM64 NEON, or software).</summary>
    public readonly struct Portable : IGemmMicroKernel
    {
        public static int MR => 4;
        public static int NR => 8;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector128<float> c20 = default, c21 = default, c30 = default, c31 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector128<float> b0 = Vector128.Load(b), b1 = Vector128.Load(b + 4);
                Vector128<float> t = Vector128.Create(a[0]);
                c00 = Vector128.MultiplyAddEstimate(t, b0, c00); c01 = Vector128.MultiplyAddEstimate(t, b1, c01);
                t = Vector128.Create(a[1]);
                c10 = Vector128.MultiplyAddEstimate(t, b0, c10); c11 = Vector128.MultiplyAddEstimate(t, b1, c11);
                t = Vector128.Create(a[2]);
                c20 = Vector128.MultiplyAddEstimate(t, b0, c20); c21 = Vector128.MultiplyAddEstimate(t, b1, c21);
                t = Vector128.Create(a[3]);
                c30 = Vector128.MultiplyAddEstimate(t, b0, c30); c31 = Vector128.MultiplyAddEstimate(t, b1, c31);
                a += 4;
                b += 8;
            }
            Vector128<float> va = Vector128.Create(alpha), vb = Vector128.Create(beta);
            Store(c, c00, c01, va, vb, beta); c += ldc;
            Store(c, c10, c11, va, vb, beta); c += ldc;
            Store(c, c20, c21, va, vb, beta); c += ldc;
            Store(c, c30, c31, va, vb, beta);
        }

        public static void RunEdge(int kc, float* a, float* b, float* edge, int rows) => Run(kc, a, b, edge, 8, 1f, 0f);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(float* c, Vector128<float> x0, Vector128<float> x1, Vector128<float> va, Vector128<float> vb, float beta)
        {
            x0 *= va;
            x1 *= va;
            if (beta == 1f)
            {
                x0 += Vector128.Load(c);
                x1 += Vector128.Load(c + 4);
            }
            else if (beta != 0f)
            {
                x0 += Vector128.Load(c) * vb;
                x1 += Vector128.Load(c + 4) * vb;
            }
            Vector128.Store(x0, c);
            Vector128.Store(x1, c + 4);
        }
    }
}
