// Managed SGEMM: the GotoBLAS/BLIS loop nest over packed panels, plus an unpacked path for small or skinny problems.
//   for jc in n step NC:            B block [KC, NC] packed into NR-column micro-panels (zero padded)
//     for pc in k step KC:
//       for ic in m step MC:        A block [MC, KC] packed into MR-row micro-panels (zero padded)
//         for jr in nc step NR:     B micro-panel stays in L1 while ...
//           for ir in mc step MR:   ... the micro-kernel sweeps the A block held in L2
// With threads, one operand is packed once and shared, and C is cut into chunks along the other dimension (see
// SharedA/SharedB). Every C element is summed in the same k order (KC blocks in sequence, p in order inside a block)
// whatever the thread count or chunking, so results are bit-identical across thread counts for a given kernel.
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
    internal static KernelKind BestKernel() => KernelPlan.Current.Kernel;

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
        // Inside another parallel loop (e.g. per-image convolution) the GEMM stays on its thread: no oversubscription.
        int threads = Parallelism.IsNested ? 1 : (int)Math.Clamp(work / MinWorkPerThread, 1, Parallelism.Threads);
        if (threads == 1) Packed<TK>(p);
        else PackedParallel<TK>(p, threads);
    }

    /// <summary>The whole loop nest on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Packed<TK>(Problem p) where TK : struct, IGemmMicroKernel
    {
        GemmBlocking blk = GemmBlocking.For<TK>();
        GemmWorkspace ws = GemmWorkspace.Rent(blk.MC * blk.KC, blk.KC * blk.NC, TK.MR * TK.NR);
        try
        {
            for (int jc = 0; jc < p.N; jc += blk.NC)
            {
                int nc = Math.Min(blk.NC, p.N - jc);
                for (int pc = 0; pc < p.K; pc += blk.KC)
                {
                    int kc = Math.Min(blk.KC, p.K - pc);
                    GemmPacking.PackB<TK>(p.B, p.Ldb, p.TransB, pc, kc, jc, nc, ws.B);
                    for (int ic = 0; ic < p.M; ic += blk.MC)
                    {
                        int mc = Math.Min(blk.MC, p.M - ic);
                        GemmPacking.PackA<TK>(p.A, p.Lda, p.TransA, ic, mc, pc, kc, ws.A);
                        Macro<TK>(p, ws.A, ws.B, ic, mc, jc, nc, pc, kc, ws.Edge);
                    }
                }
            }
        }
        finally
        {
            GemmWorkspace.Return(ws);
        }
    }

    // Threads: one operand is packed once into a shared buffer (in parallel over k blocks), then C is cut along the
    // other dimension into more chunks than threads, handed out dynamically, and each chunk packs its own slice of
    // the other operand. Nothing is packed twice, and a thread that the (shared, noisy) host pauses holds up only
    // its current chunk. Which thread runs a chunk never changes what it computes, so results stay deterministic.

    /// <summary>Largest shared packed operand, in floats (32 MiB); a larger one is processed in bands. Tests lower it.</summary>
    internal static long SharedLimit { get; set; } = 8L << 20;

    private static void PackedParallel<TK>(Problem p, int threads) where TK : struct, IGemmMicroKernel
    {
        int tilesM = (p.M + TK.MR - 1) / TK.MR, tilesN = (p.N + TK.NR - 1) / TK.NR;
        bool shareA = tilesN >= 2 * threads && (p.M <= p.N || tilesM < 2 * threads);
        if (shareA) SharedA<TK>(p, threads, tilesN);
        else SharedB<TK>(p, threads, tilesM);
    }

    /// <summary>The band (rows of A or columns of B, a multiple of <paramref name="tile"/>) and the k span (a multiple of
    /// <paramref name="kcBlock"/>) whose packed copy stays within <see cref="SharedLimit"/>: all of k when it fits.</summary>
    private static (int Band, int KSpan) SharedBand(int extent, int k, int tile, int kcBlock)
    {
        long padded = (extent + tile - 1) / tile * tile;
        long band = Math.Min(padded, Math.Max(tile, SharedLimit / k / tile * tile));
        long kSpan = band * k <= SharedLimit ? k : Math.Max(kcBlock, SharedLimit / band / kcBlock * kcBlock);
        return ((int)band, (int)Math.Min(k, kSpan));
    }

    /// <summary>How many chunks to cut <paramref name="tiles"/> into: up to 4 per thread, each at least
    /// <paramref name="minTiles"/> tiles, and at least one per thread where there are enough tiles.</summary>
    private static int ChunkCount(int tiles, int threads, int minTiles) =>
        Math.Max(Math.Min(tiles, threads), Math.Min(4 * threads, tiles / minTiles));

    /// <summary>Packs all of op(A) (in row bands), then splits C by columns.</summary>
    private static void SharedA<TK>(Problem p, int threads, int tilesN) where TK : struct, IGemmMicroKernel
    {
        GemmBlocking blk = GemmBlocking.For<TK>();
        int mr = TK.MR, nr = TK.NR;
        (int bandRows, int kSpan) = SharedBand(p.M, p.K, mr, blk.KC);
        int chunks = ChunkCount(tilesN, threads, minTiles: 4);
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        GemmWorkspace shared = GemmWorkspace.Rent(bandRows * kSpan, 0, 0);
        try
        {
            float* a = shared.A;
            for (int i0 = 0; i0 < p.M; i0 += bandRows)
            for (int k0 = 0; k0 < p.K; k0 += kSpan)
            {
                int i1 = Math.Min(p.M, i0 + bandRows), rowsPad = (i1 - i0 + mr - 1) / mr * mr, k1 = Math.Min(p.K, k0 + kSpan);
                // The k block at pc starts at rowsPad·(pc − k0): rowsPad/MR panels of [kc, MR].
                Parallelism.For((k1 - k0 + blk.KC - 1) / blk.KC, 1, (b0, b1) =>
                {
                    for (int pc = k0 + b0 * blk.KC; pc < Math.Min(k1, k0 + b1 * blk.KC); pc += blk.KC)
                        GemmPacking.PackA<TK>(p.A, p.Lda, p.TransA, i0, i1 - i0, pc, Math.Min(blk.KC, k1 - pc), a + (nint)rowsPad * (pc - k0));
                });
                Parallel.For(0, chunks, options, chunk =>
                {
                    (int t0, int t1) = Parallelism.ChunkRange(tilesN, chunks, chunk);
                    int j1 = Math.Min(p.N, t1 * nr);
                    GemmWorkspace ws = GemmWorkspace.Rent(0, blk.KC * blk.NC, mr * nr);
                    try
                    {
                        for (int jc = t0 * nr; jc < j1; jc += blk.NC)
                        {
                            int nc = Math.Min(blk.NC, j1 - jc);
                            for (int pc = k0; pc < k1; pc += blk.KC)
                            {
                                int kc = Math.Min(blk.KC, k1 - pc);
                                GemmPacking.PackB<TK>(p.B, p.Ldb, p.TransB, pc, kc, jc, nc, ws.B);
                                for (int ic = i0; ic < i1; ic += blk.MC)
                                    Macro<TK>(p, a + (nint)rowsPad * (pc - k0) + (nint)(ic - i0) * kc, ws.B, ic, Math.Min(blk.MC, i1 - ic),
                                        jc, nc, pc, kc, ws.Edge);
                            }
                        }
                    }
                    finally
                    {
                        GemmWorkspace.Return(ws);
                    }
                });
            }
        }
        finally
        {
            GemmWorkspace.Return(shared);
        }
    }

    /// <summary>Packs all of op(B) (in column bands), then splits C by rows.</summary>
    private static void SharedB<TK>(Problem p, int threads, int tilesM) where TK : struct, IGemmMicroKernel
    {
        GemmBlocking blk = GemmBlocking.For<TK>();
        int mr = TK.MR, nr = TK.NR;
        (int bandCols, int kSpan) = SharedBand(p.N, p.K, nr, blk.KC);
        int chunks = ChunkCount(tilesM, threads, minTiles: 8);
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        GemmWorkspace shared = GemmWorkspace.Rent(0, bandCols * kSpan, 0);
        try
        {
            float* b = shared.B;
            for (int j0 = 0; j0 < p.N; j0 += bandCols)
            for (int k0 = 0; k0 < p.K; k0 += kSpan)
            {
                int j1 = Math.Min(p.N, j0 + bandCols), colsPad = (j1 - j0 + nr - 1) / nr * nr, k1 = Math.Min(p.K, k0 + kSpan);
                // The k block at pc starts at colsPad·(pc − k0): colsPad/NR panels of [kc, NR].
                Parallelism.For((k1 - k0 + blk.KC - 1) / blk.KC, 1, (b0, b1) =>
                {
                    for (int pc = k0 + b0 * blk.KC; pc < Math.Min(k1, k0 + b1 * blk.KC); pc += blk.KC)
                        GemmPacking.PackB<TK>(p.B, p.Ldb, p.TransB, pc, Math.Min(blk.KC, k1 - pc), j0, j1 - j0, b + (nint)colsPad * (pc - k0));
                });
                Parallel.For(0, chunks, options, chunk =>
                {
                    (int t0, int t1) = Parallelism.ChunkRange(tilesM, chunks, chunk);
                    int i1 = Math.Min(p.M, t1 * mr);
                    GemmWorkspace ws = GemmWorkspace.Rent(blk.MC * blk.KC, 0, mr * nr);
                    try
                    {
                        for (int pc = k0; pc < k1; pc += blk.KC)
                        {
                            int kc = Math.Min(blk.KC, k1 - pc);
                            for (int ic = t0 * mr; ic < i1; ic += blk.MC)
                            {
                                int mc = Math.Min(blk.MC, i1 - ic);
                                GemmPacking.PackA<TK>(p.A, p.Lda, p.TransA, ic, mc, pc, kc, ws.A);
                                for (int jc = j0; jc < j1; jc += blk.NC)
                                    Macro<TK>(p, ws.A, b + (nint)colsPad * (pc - k0) + (nint)(jc - j0) * kc, ic, mc,
                                        jc, Math.Min(blk.NC, j1 - jc), pc, kc, ws.Edge);
                            }
                        }
                    }
                    finally
                    {
                        GemmWorkspace.Return(ws);
                    }
                });
            }
        }
        finally
        {
            GemmWorkspace.Return(shared);
        }
    }

    /// <summary>C[ic..ic+mc, jc..jc+nc] (+)= packed A block · packed B block for the k block at pc.</summary>
    /// <remarks>The first k block (pc = 0) applies beta; later blocks add to what the earlier ones stored.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Macro<TK>(Problem p, float* aBlock, float* bBlock, int ic, int mc, int jc, int nc, int pc, int kc, float* edge)
        where TK : struct, IGemmMicroKernel
    {
        int mr = TK.MR, nr = TK.NR;
        float beta = pc == 0 ? p.Beta : 1f;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int nrEff = Math.Min(nr, nc - jr);
            float* bPanel = bBlock + (nint)jr * kc;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int mrEff = Math.Min(mr, mc - ir);
                float* aPanel = aBlock + (nint)ir * kc;
                float* cTile = p.C + (nint)(ic + ir) * p.Ldc + jc + jr;
                if (mrEff == mr && nrEff == nr)
                {
                    TK.Run(kc, aPanel, bPanel, cTile, p.Ldc, p.Alpha, beta);
                    continue;
                }
                // Edge tile: full tile into scratch (alpha 1, beta 0 stores the raw sums), then the valid part is
                // combined into C with the same rounding as a full tile.
                TK.RunEdge(kc, aPanel, bPanel, edge, mrEff);
                for (int r = 0; r < mrEff; r++)
                {
                    float* src = edge + r * nr, dst = cTile + (nint)r * p.Ldc;
                    for (int j = 0; j < nrEff; j++)
                        dst[j] = GemmMicroKernels.Combine(src[j], dst[j], p.Alpha, beta);
                }
            }
        }
    }
}
