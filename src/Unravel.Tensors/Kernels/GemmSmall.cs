// GEMM without packing, for problems too small or too skinny for the blocked path (few rows or few columns, e.g.
// one token through a linear layer). Two forms, each summing every C element in k order:
//   axpy form  C[i, :] = beta·C[i, :] + Σ_q (alpha·op(A)[i, q])·B[q, :]   (B rows streamed once per 4 rows of C)
//   dot form   C[i, j] = alpha·dot(op(A)[i, :], op(B)[:, j]) + beta·C[i, j]   (Bᵀ, or few columns copied to Bᵀ)
// Both round the same way wherever the thread split falls (vector bodies and scalar tails both use FMA).

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unravel.Tensors.Kernels;

/// <summary>The unpacked GEMM path of <see cref="ManagedGemm"/>.</summary>
internal static unsafe class GemmSmall
{
    /// <summary>Below this many columns, op(B) is copied to Bᵀ and C is formed by dot products.</summary>
    private const int DotFormMaxColumns = 8;

    public static void Run(ManagedGemm.Problem p)
    {
        long work = (long)p.M * p.N * p.K;
        int threads = (int)Math.Clamp(work / ManagedGemm.MinWorkPerThread, 1, Parallelism.Threads);
        bool dotForm = p.TransB || p.N < DotFormMaxColumns;
        // Split rows unless there are too few to share (the axpy form reads B once per 4 rows).
        bool splitRows = p.M >= (dotForm ? threads : 4 * threads);
        if (threads == 1) Block(p, 0, p.M, 0, p.N);
        else if (splitRows) Parallelism.For(p.M, Math.Max(1, p.M / threads), (i0, i1) => Block(p, i0, i1, 0, p.N));
        else Parallelism.For(p.N, Math.Max(1, p.N / threads), (j0, j1) => Block(p, 0, p.M, j0, j1));
    }

    /// <summary>C[i0..i1, j0..j1] on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(ManagedGemm.Problem p, int i0, int i1, int j0, int j1)
    {
        int n = j1 - j0;
        if (p.TransB || n < DotFormMaxColumns) DotForm(p, i0, i1, j0, n);
        else AxpyForm(p, i0, i1, j0, n);
    }

    private static void DotForm(ManagedGemm.Problem p, int i0, int i1, int j0, int n)
    {
        int k = p.K;
        int btLength = p.TransB ? 0 : n * k, aLength = p.TransA ? k : 0;
        float[]? scratch = btLength + aLength > 0 ? ArrayPool<float>.Shared.Rent(btLength + aLength) : null;
        try
        {
            fixed (float* s = scratch)
            {
                float* bt = p.TransB ? p.B + (nint)j0 * p.Ldb : s;
                nint ldbt = p.TransB ? p.Ldb : k;
                if (!p.TransB)
                    for (int q = 0; q < k; q++)
                    {
                        float* bRow = p.B + (nint)q * p.Ldb + j0;
                        for (int j = 0; j < n; j++) s[(nint)j * k + q] = bRow[j];
                    }
                float* aColumn = s + btLength;
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
                        cRow[j] = GemmMicroKernels.Combine(Dot(aRow, bt + j * ldbt, k), cRow[j], p.Alpha, p.Beta);
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private static void AxpyForm(ManagedGemm.Problem p, int i0, int i1, int j0, int n)
    {
        for (int i = i0; i < i1; i++)
        {
            var c = new Span<float>(p.C + (nint)i * p.Ldc + j0, n);
            if (p.Beta == 0f) c.Clear();
            else if (p.Beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(c, p.Beta, c);
        }
        int i4 = i0;
        for (; i4 + 4 <= i1; i4 += 4)
        {
            float* c0 = p.C + (nint)i4 * p.Ldc + j0;
            for (int q = 0; q < p.K; q++)
                Axpy4(p.Alpha * p.OpA(i4, q), p.Alpha * p.OpA(i4 + 1, q), p.Alpha * p.OpA(i4 + 2, q), p.Alpha * p.OpA(i4 + 3, q),
                    p.B + (nint)q * p.Ldb + j0, c0, p.Ldc, n);
        }
        for (int i = i4; i < i1; i++)
        {
            float* cRow = p.C + (nint)i * p.Ldc + j0;
            for (int q = 0; q < p.K; q++)
                Axpy(p.Alpha * p.OpA(i, q), p.B + (nint)q * p.Ldb + j0, cRow, n);
        }
    }

    /// <summary>Rows y, y + ldy, y + 2·ldy, y + 3·ldy += s0..s3 · x, reading x once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy4(float s0, float s1, float s2, float s3, float* x, float* y, nint ldy, int n)
    {
        float* y1 = y + ldy, y2 = y1 + ldy, y3 = y2 + ldy;
        int j = 0;
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported)
        {
            Vector256<float> v0 = Vector256.Create(s0), v1 = Vector256.Create(s1), v2 = Vector256.Create(s2), v3 = Vector256.Create(s3);
            for (; j <= n - 8; j += 8)
            {
                Vector256<float> xv = Vector256.Load(x + j);
                Vector256.Store(Fma.MultiplyAdd(v0, xv, Vector256.Load(y + j)), y + j);
                Vector256.Store(Fma.MultiplyAdd(v1, xv, Vector256.Load(y1 + j)), y1 + j);
                Vector256.Store(Fma.MultiplyAdd(v2, xv, Vector256.Load(y2 + j)), y2 + j);
                Vector256.Store(Fma.MultiplyAdd(v3, xv, Vector256.Load(y3 + j)), y3 + j);
            }
        }
        for (; j < n; j++)
        {
            float xj = x[j];
            y[j] = MulAdd(s0, xj, y[j]);
            y1[j] = MulAdd(s1, xj, y1[j]);
            y2[j] = MulAdd(s2, xj, y2[j]);
            y3[j] = MulAdd(s3, xj, y3[j]);
        }
    }

    /// <summary>y[0..n) += s · x[0..n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float s, float* x, float* y, int n)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported)
        {
            Vector256<float> vs = Vector256.Create(s);
            for (; j <= n - 8; j += 8)
                Vector256.Store(Fma.MultiplyAdd(vs, Vector256.Load(x + j), Vector256.Load(y + j)), y + j);
        }
        for (; j < n; j++) y[j] = MulAdd(s, x[j], y[j]);
    }

    /// <summary>Σ x[q]·y[q] in an order fixed by k alone (four vector accumulators, then the scalar tail), so the
    /// result does not depend on how the operands happen to be aligned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* x, float* y, int k)
    {
        int q = 0;
        float sum = 0f;
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported && k >= 32)
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
        for (; q < k; q++) sum = MulAdd(x[q], y[q], sum);
        return sum;
    }

    /// <summary>x·y + z, fused where the CPU has FMA (MathF.FusedMultiplyAdd is emulated, and slow, without it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MulAdd(float x, float y, float z) => Fma.IsSupported ? MathF.FusedMultiplyAdd(x, y, z) : x * y + z;
}
