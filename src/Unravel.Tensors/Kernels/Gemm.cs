// GEMM entry point. Row-major C = alpha · op(A) · op(B) + beta · C.
// PLACEHOLDER BODY: the naive loop below is replaced by the packed managed kernel and the OpenBLAS backend.

namespace Unravel.Tensors.Kernels;

/// <summary>Single-precision matrix multiply, row-major.</summary>
public static class Gemm
{
    /// <summary>C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C.</summary>
    /// <remarks>op(A) = Aᵀ when <paramref name="transA"/> (A stored [k, m]). Leading dimensions default to the packed
    /// row length (0 = packed). With beta = 0, C is overwritten (NaN in C does not propagate), as in BLAS.</remarks>
    public static void Sgemm(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        bool transA = false, bool transB = false, float alpha = 1f, float beta = 0f, int lda = 0, int ldb = 0, int ldc = 0)
    {
        if (lda == 0) lda = transA ? m : k;
        if (ldb == 0) ldb = transB ? k : n;
        if (ldc == 0) ldc = n;
        for (int i = 0; i < m; i++)
        {
            Span<float> crow = c.Slice(i * ldc, n);
            if (beta == 0f) crow.Clear(); else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(crow, beta, crow);
            for (int p = 0; p < k; p++)
            {
                float av = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                for (int j = 0; j < n; j++)
                    crow[j] += av * (transB ? b[j * ldb + p] : b[p * ldb + j]);
            }
        }
    }
}
