// GEMM without packing, for problems too small or too skinny for the blocked path (a few rows or columns, e.g. one
// token through a linear layer, or tiny matrices where packing and threads cost more than the arithmetic).
//   direct form  C tile [≤4, 16] held in 8 ymm accumulators, op(A) broadcast and B rows loaded straight from the
//                operands (masked at the right edge), so every B row is read once per 4 rows of C; Bᵀ is first
//                copied to a [k, n] scratch block
//   dot form     C[i, j] = alpha·dot(op(A)[i, :], B[j, :]) + beta·C[i, j], for Bᵀ with fewer than 4 rows of C
//                (no copy of B, which would cost more than the product)
// Every element is summed in k order and combined with C like the packed kernels do, wherever the threads split.

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unravel.Tensors.Kernels;

/// <summary>The unpacked GEMM path of <see cref="ManagedGemm"/>.</summary>
internal static unsafe class GemmSmall
{
    /// <summary>A JIT-time row count, so unused accumulator rows of a tile compile away.</summary>
    private interface IRows { static abstract int Value { get; } }
    private readonly struct Rows1 : IRows { public static int Value => 1; }
    private readonly struct Rows2 : IRows { public static int Value => 2; }
    private readonly struct Rows3 : IRows { public static int Value => 3; }
    private readonly struct Rows4 : IRows { public static int Value => 4; }

    /// <summary>Lane masks: 8 floats from offset 16 − w have their first w lanes set (w ≤ 16).</summary>
    private static ReadOnlySpan<int> MaskBits =>
    [
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    // The portable kernel choice also keeps this path portable, so tests reach the scalar loops on any CPU.
    private static bool Vectorized => Avx2.IsSupported && Fma.IsSupported && ManagedGemm.Kernel != ManagedGemm.KernelKind.Portable;

    public static void Run(ManagedGemm.Problem p)
    {
        long work = (long)p.M * p.N * p.K;
        int threads = (int)Math.Clamp(work / ManagedGemm.MinWorkPerThread, 1, Parallelism.Threads);
        if (threads == 1) Block(p, 0, p.M, 0, p.N);
        else RunParallel(p, threads);
    }

    // Kept apart from Run so the single-threaded call allocates no closure.
    private static void RunParallel(ManagedGemm.Problem p, int threads)
    {
        // Split rows unless there are too few to share: each thread reads all of B once per 4 of its rows.
        if (p.M >= 4 * threads) Parallelism.For(p.M, Math.Max(1, p.M / threads), (i0, i1) => Block(p, i0, i1, 0, p.N));
        else Parallelism.For(p.N, Math.Max(1, p.N / threads), (j0, j1) => Block(p, 0, p.M, j0, j1));
    }

    /// <summary>C[i0..i1, j0..j1] on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(ManagedGemm.Problem p, int i0, int i1, int j0, int j1)
    {
        int n = j1 - j0;
        if (!Vectorized)
        {
            Scalar(p, i0, i1, j0, j1);
            return;
        }
        if (p.TransB && i1 - i0 < 4)
        {
            DotForm(p, i0, i1, j0, n);
            return;
        }
        if (!p.TransB)
        {
            Direct(p, p.B + j0, p.Ldb, i0, i1, j0, n);
            return;
        }
        float[] scratch = ArrayPool<float>.Shared.Rent(p.K * n);
        try
        {
            fixed (float* s = scratch)
            {
                for (int j = 0; j < n; j++)
                {
                    float* bRow = p.B + (nint)(j0 + j) * p.Ldb;
                    for (int q = 0; q < p.K; q++) s[(nint)q * n + j] = bRow[q];
                }
                Direct(p, s, n, i0, i1, j0, n);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>C[i0..i1, j0..j0+n] from op(B) rows at b (row stride ldb, n columns).</summary>
    private static void Direct(ManagedGemm.Problem p, float* b, nint ldb, int i0, int i1, int j0, int n)
    {
        for (int i = i0; i < i1; i += 4)
        {
            switch (Math.Min(4, i1 - i))
            {
                case 4: DirectRows<Rows4>(p, b, ldb, i, j0, n); break;
                case 3: DirectRows<Rows3>(p, b, ldb, i, j0, n); break;
                case 2: DirectRows<Rows2>(p, b, ldb, i, j0, n); break;
                default: DirectRows<Rows1>(p, b, ldb, i, j0, n); break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DirectRows<TRows>(ManagedGemm.Problem p, float* b, nint ldb, int i, int j0, int n)
        where TRows : struct, IRows
    {
        // op(A)[i + r, q] = a[r·aRowStep + q·aStep]
        nint aStep = p.TransA ? p.Lda : 1, aRowStep = p.TransA ? 1 : p.Lda;
        float* a = p.TransA ? p.A + i : p.A + (nint)i * p.Lda;
        float* c = p.C + (nint)i * p.Ldc + j0;
        ref int maskBits = ref MemoryMarshal.GetReference(MaskBits);
        for (int j = 0; j < n; j += 16)
        {
            int w = Math.Min(16, n - j);
            Vector256<float> m0 = Vector256.LoadUnsafe(ref maskBits, (nuint)(16 - w)).AsSingle();
            Vector256<float> m1 = Vector256.LoadUnsafe(ref maskBits, (nuint)(24 - w)).AsSingle();
            Tile<TRows>(a, aRowStep, aStep, b + j, ldb, c + j, p.Ldc, p.K, m0, m1, p.Alpha, p.Beta);
        }
    }

    /// <summary>C tile [TRows, 16] (columns masked by m0, m1) = alpha·Σ_q op(A)[r, q]·B[q, :] + beta·C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TRows>(float* a, nint aRowStep, nint aStep, float* b, nint ldb, float* c, nint ldc, int k,
        Vector256<float> m0, Vector256<float> m1, float alpha, float beta) where TRows : struct, IRows
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        float* a1 = a + aRowStep, a2 = a1 + aRowStep, a3 = a2 + aRowStep; // read only for rows the tile has
        for (int q = 0; q < k; q++)
        {
            Vector256<float> b0 = Avx.MaskLoad(b, m0), b1 = Avx.MaskLoad(b + 8, m1);
            Vector256<float> t = Vector256.Create(*a);
            c00 = Fma.MultiplyAdd(t, b0, c00); c01 = Fma.MultiplyAdd(t, b1, c01);
            if (TRows.Value > 1)
            {
                t = Vector256.Create(*a1);
                c10 = Fma.MultiplyAdd(t, b0, c10); c11 = Fma.MultiplyAdd(t, b1, c11);
            }
            if (TRows.Value > 2)
            {
                t = Vector256.Create(*a2);
                c20 = Fma.MultiplyAdd(t, b0, c20); c21 = Fma.MultiplyAdd(t, b1, c21);
            }
            if (TRows.Value > 3)
            {
                t = Vector256.Create(*a3);
                c30 = Fma.MultiplyAdd(t, b0, c30); c31 = Fma.MultiplyAdd(t, b1, c31);
            }
            a += aStep; a1 += aStep; a2 += aStep; a3 += aStep;
            b += ldb;
        }
        StoreRow(c, c00, c01, m0, m1, alpha, beta);
        if (TRows.Value > 1) StoreRow(c + ldc, c10, c11, m0, m1, alpha, beta);
        if (TRows.Value > 2) StoreRow(c + 2 * ldc, c20, c21, m0, m1, alpha, beta);
        if (TRows.Value > 3) StoreRow(c + 3 * ldc, c30, c31, m0, m1, alpha, beta);
    }

    /// <summary>Masked c = alpha·x + beta·c, rounded like <see cref="GemmMicroKernels.Combine"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> m0, Vector256<float> m1,
        float alpha, float beta)
    {
        Vector256<float> va = Vector256.Create(alpha);
        x0 *= va;
        x1 *= va;
        if (beta == 1f)
        {
            x0 += Avx.MaskLoad(c, m0);
            x1 += Avx.MaskLoad(c + 8, m1);
        }
        else if (beta != 0f)
        {
            Vector256<float> vb = Vector256.Create(beta);
            x0 += Avx.MaskLoad(c, m0) * vb;
            x1 += Avx.MaskLoad(c + 8, m1) * vb;
        }
        Avx.MaskStore(c, m0, x0);
        Avx.MaskStore(c + 8, m1, x1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotForm(ManagedGemm.Problem p, int i0, int i1, int j0, int n)
    {
        int k = p.K;
        float[]? scratch = p.TransA ? ArrayPool<float>.Shared.Rent(k) : null;
        try
        {
            fixed (float* aColumn = scratch)
            {
                for (int i = i0; i < i1; i++)
                {
                    float* aRow = p.A + (nint)i * p.Lda;
                    if (p.TransA)
                    {
                        for (int q = 0; q < k; q++) aColumn[q] = p.A[(nint)q * p.Lda + i];
                        aRow = aColumn;
                    }
                    float* cRow = p.C + (nint)i * p.Ldc + j0;
                    for (int j = 0; j < n; j++)
                        cRow[j] = GemmMicroKernels.Combine(Dot(aRow, p.B + (nint)(j0 + j) * p.Ldb, k), cRow[j], p.Alpha, p.Beta);
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>Σ x[q]·y[q] in an order fixed by k alone (four vector accumulators, then one, then the scalar
    /// tail), so the result does not depend on how the operands happen to be aligned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* x, float* y, int k)
    {
        int q = 0;
        float sum = 0f;
        if (k >= 8)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; q + 32 <= k; q += 32)
            {
                a0 = Fma.MultiplyAdd(Vector256.Load(x + q), Vector256.Load(y + q), a0);
                a1 = Fma.MultiplyAdd(Vector256.Load(x + q + 8), Vector256.Load(y + q + 8), a1);
                a2 = Fma.MultiplyAdd(Vector256.Load(x + q + 16), Vector256.Load(y + q + 16), a2);
                a3 = Fma.MultiplyAdd(Vector256.Load(x + q + 24), Vector256.Load(y + q + 24), a3);
            }
            for (; q + 8 <= k; q += 8) a0 = Fma.MultiplyAdd(Vector256.Load(x + q), Vector256.Load(y + q), a0);
            sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; q < k; q++) sum = MathF.FusedMultiplyAdd(x[q], y[q], sum);
        return sum;
    }

    /// <summary>Plain loops for CPUs without AVX2/FMA.</summary>
    private static void Scalar(ManagedGemm.Problem p, int i0, int i1, int j0, int j1)
    {
        for (int i = i0; i < i1; i++)
            for (int j = j0; j < j1; j++)
            {
                float acc = 0f;
                for (int q = 0; q < p.K; q++)
                    acc += p.OpA(i, q) * (p.TransB ? p.B[(nint)j * p.Ldb + q] : p.B[(nint)q * p.Ldb + j]);
                float* c = p.C + (nint)i * p.Ldc + j;
                *c = GemmMicroKernels.Combine(acc, *c, p.Alpha, p.Beta);
            }
    }
}
