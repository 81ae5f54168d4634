// Managed SGEMM: the GotoBLAS/BLIS loop nest over packed panels, plus an unpacked path for small or skinny problems.
//   for jc in n step NC:            B block [KC, NC] packed into NR-column micro-panels (zero padded)
//     for pc in k step KC:
//       for ic in m step MC:        A block [MC, KC] packed into MR-row micro-panels (zero padded)
//         for jr in nc step NR:     B micro-panel stays in L1 while ...
//           for ir in mc step MR:   ... the micro-kernel sweeps the A block held in L2
// Threads own disjoint row (or column) ranges of C, cut on tile boundaries; every C element is summed in the same
// k order (KC blocks in sequence, p in order inside a block) whatever the thread count, so results are bit-identical
// across thread counts for a given kernel.
// References: Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", TOMS 2008;
// Van Zee & van de Geijn, "BLIS", TOMS 2015.

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unravel.Tensors.Kernels;

/// <summary>The managed GEMM backend (row-major, arguments already validated by <see cref="Gemm"/>).</summary>
internal static unsafe class ManagedGemm
{
    /// <summary>Instruction-set variant of the micro-kernel.</summary>
    internal enum KernelKind { Portable, Avx2, Avx512 }

    /// <summary>m·n·k below which packing and threads cost more than they save.</summary>
    internal const long SmallWork = 32 * 1024;

    /// <summary>Multiply-adds a thread must get before the work is split.</summary>
    internal const long MinWorkPerThread = 1L << 18;

    /// <summary>The micro-kernel in use; the best the CPU supports unless a test or benchmark sets it.</summary>
    internal static KernelKind Kernel { get; set; } = BestKernel();

    /// <summary>The fastest kernel this CPU supports.</summary>
    internal static KernelKind BestKernel() =>
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? KernelKind.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? KernelKind.Avx2
        : KernelKind.Portable;

    /// <summary>True when <paramref name="kind"/> can run on this CPU.</summary>
    internal static bool IsSupported(KernelKind kind) => kind switch
    {
        KernelKind.Avx512 => Avx512F.IsSupported,
        KernelKind.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    /// <summary>C = beta · C over an [m, n] block (beta = 0 clears, so NaN in C does not survive).</summary>
    public static void ScaleC(Span<float> c, int m, int n, int ldc, float beta)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear();
            else TensorPrimitives.Multiply(row, beta, row);
        }
    }

    public static void Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        bool transA, bool transB, float alpha, float beta, int lda, int ldb, int ldc)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            var p = new Problem(pa, pb, pc, m, n, k, transA, transB, alpha, beta, lda, ldb, ldc);
            switch (Kernel)
            {
                case KernelKind.Avx512: Drive<GemmMicroKernels.Avx512>(p); break;
                case KernelKind.Avx2: Drive<GemmMicroKernels.Avx2>(p); break;
                default: Drive<GemmMicroKernels.Portable>(p); break;
            }
        }
    }

    /// <summary>The operands as raw pointers (the caller keeps them pinned until the call returns).</summary>
    internal readonly struct Problem(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB,
        float alpha, float beta, int lda, int ldb, int ldc)
    {
        public readonly float* A = a, B = b, C = c;
        public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
        public readonly bool TransA = transA, TransB = transB;
        public readonly float Alpha = alpha, Beta = beta;

        /// <summary>op(A)[i, p].</summary>
        public float OpA(int i, int p) => TransA ? A[(nint)p * Lda + i] : A[(nint)i * Lda + p];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Drive<TK>(Problem p) where TK : struct, IGemmMicroKernel
    {
        long work = (long)p.M * p.N * p.K;
        if (work < SmallWork || p.M < TK.MR / 2 || p.N < TK.NR / 4)
        {
            GemmSmall.Run(p);
            return;
        }

        int threads = (int)Math.Clamp(work / MinWorkPerThread, 1, Parallelism.Threads);
        int tilesM = (p.M + TK.MR - 1) / TK.MR, tilesN = (p.N + TK.NR - 1) / TK.NR;
        if (threads == 1)
        {
            Packed<TK>(p, 0, p.M, 0, p.N);
            return;
        }
        PackedParallel<TK>(p, threads, tilesM, tilesN);
    }

    // Kept apart from Drive so the single-threaded call allocates no closure.
    private static void PackedParallel<TK>(Problem p, int threads, int tilesM, int tilesN) where TK : struct, IGemmMicroKernel
    {
        // Each thread runs the whole blocked loop on its own rows (or columns) of C with its own buffers, so no thread
        // waits on another; the price is that every thread packs all of the operand that is not split. Duplicate the
        // cheaper one: a plain copy (op(B) untransposed, op(A) transposed) costs about half a transposing pack.
        long dupB = (long)p.K * p.N * (p.TransB ? 2 : 1), dupA = (long)p.M * p.K * (p.TransA ? 1 : 2);
        bool splitRows = tilesM >= threads && (tilesN < threads || dupB <= dupA);
        if (splitRows)
            Parallelism.For(tilesM, Math.Max(1, tilesM / threads), (t0, t1) =>
                Packed<TK>(p, t0 * TK.MR, Math.Min(p.M, t1 * TK.MR), 0, p.N));
        else
            Parallelism.For(tilesN, Math.Max(1, tilesN / threads), (t0, t1) =>
                Packed<TK>(p, 0, p.M, t0 * TK.NR, Math.Min(p.N, t1 * TK.NR)));
    }

    /// <summary>Blocked GEMM on C[i0..i1, j0..j1] on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Packed<TK>(Problem p, int i0, int i1, int j0, int j1) where TK : struct, IGemmMicroKernel
    {
        int mr = TK.MR, nr = TK.NR;
        GemmBlocking blk = GemmBlocking.For<TK>();
        GemmWorkspace ws = GemmWorkspace.Rent(blk.MC * blk.KC, blk.KC * blk.NC, mr * nr);
        try
        {
            for (int jc = j0; jc < j1; jc += blk.NC)
            {
                int nc = Math.Min(blk.NC, j1 - jc);
                for (int pc = 0; pc < p.K; pc += blk.KC)
                {
                    int kc = Math.Min(blk.KC, p.K - pc);
                    GemmPacking.PackB<TK>(p.B, p.Ldb, p.TransB, pc, kc, jc, nc, ws.B);
                    // The first k block applies beta; later blocks add to what the earlier ones stored.
                    float beta = pc == 0 ? p.Beta : 1f;
                    for (int ic = i0; ic < i1; ic += blk.MC)
                    {
                        int mc = Math.Min(blk.MC, i1 - ic);
                        GemmPacking.PackA<TK>(p.A, p.Lda, p.TransA, ic, mc, pc, kc, ws.A);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int nrEff = Math.Min(nr, nc - jr);
                            float* bPanel = ws.B + (nint)jr * kc;
                            for (int ir = 0; ir < mc; ir += mr)
                            {
                                int mrEff = Math.Min(mr, mc - ir);
                                float* aPanel = ws.A + (nint)ir * kc;
                                float* cTile = p.C + (nint)(ic + ir) * p.Ldc + jc + jr;
                                if (mrEff == mr && nrEff == nr)
                                {
                                    TK.Run(kc, aPanel, bPanel, cTile, p.Ldc, p.Alpha, beta);
                                }
                                else
                                {
                                    // Edge tile: full tile into scratch (alpha 1, beta 0 stores the raw sums), then
                                    // the valid part is combined into C with the same rounding as a full tile.
                                    TK.Run(kc, aPanel, bPanel, ws.Edge, nr, 1f, 0f);
                                    for (int r = 0; r < mrEff; r++)
                                    {
                                        float* src = ws.Edge + r * nr, dst = cTile + (nint)r * p.Ldc;
                                        for (int j = 0; j < nrEff; j++)
                                            dst[j] = GemmMicroKernels.Combine(src[j], dst[j], p.Alpha, beta);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            GemmWorkspace.Return(ws);
        }
    }
}
