// GEMM entry point: row-major C = alpha · op(A) · op(B) + beta · C, dispatched to the managed packed kernel
// (ManagedGemm) or to a system OpenBLAS. The backend comes from UNRAVEL_BLAS=managed|openblas|auto (unset: managed)
// or from Gemm.Backend set in code.
// Reference: BLAS sgemm semantics, https://www.netlib.org/lapack/explore-html/ (beta = 0 overwrites C).

using Unravel.Tensors.Interop;

namespace Unravel.Tensors.Kernels;

/// <summary>Single-precision matrix multiply, row-major.</summary>
public static class Gemm
{
    /// <summary>Environment variable that selects the backend: <c>managed</c>, <c>openblas</c> or <c>auto</c>.</summary>
    public const string BackendVariable = "UNRAVEL_BLAS";

    private static GemmBackend? s_backend;

    /// <summary>The backend used by <see cref="Sgemm"/>.</summary>
    /// <remarks>Initialised on first use from <c>UNRAVEL_BLAS</c>: unset or <c>managed</c> → Managed; <c>openblas</c> →
    /// OpenBlas (an error if the library cannot be loaded); <c>auto</c> → OpenBlas when loadable, else Managed.</remarks>
    /// <exception cref="InvalidOperationException">OpenBlas was requested (by the variable or the setter) but no OpenBLAS
    /// library could be loaded, or the variable holds an unknown value.</exception>
    public static GemmBackend Backend
    {
        get => s_backend ??= BackendFromEnvironment();
        set
        {
            if (value == GemmBackend.OpenBlas && !OpenBlas.IsAvailable)
                throw OpenBlasMissing($"{nameof(Gemm)}.{nameof(Backend)} was set to {nameof(GemmBackend.OpenBlas)}");
            s_backend = value;
        }
    }

    /// <summary>True when an OpenBLAS shared library was found and exports cblas_sgemm.</summary>
    public static bool IsOpenBlasAvailable => OpenBlas.IsAvailable;

    /// <summary>C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C.</summary>
    /// <remarks>op(A) = Aᵀ when <paramref name="transA"/> (A stored [k, m]); op(B) = Bᵀ when <paramref name="transB"/>
    /// (B stored [n, k]). Leading dimensions default to the packed row length (0 = packed). With beta = 0, C is
    /// overwritten (NaN in C does not propagate), and with alpha = 0 or k = 0, A and B are not read, as in BLAS.
    /// The managed backend is deterministic: every element of C is summed in the same k order whatever the thread
    /// count.</remarks>
    /// <exception cref="ArgumentException">A dimension is negative, a leading dimension is smaller than its row, or a
    /// span is shorter than the matrix it holds.</exception>
    public static void Sgemm(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        bool transA = false, bool transB = false, float alpha = 1f, float beta = 0f, int lda = 0, int ldb = 0, int ldc = 0)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"gemm: negative dimensions m={m}, n={n}, k={k}.", nameof(m));
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (lda == 0) lda = Math.Max(1, aCols);
        if (ldb == 0) ldb = Math.Max(1, bCols);
        if (ldc == 0) ldc = Math.Max(1, n);
        CheckOperand(a.Length, aRows, aCols, lda, transA ? "Aᵀ" : "A", nameof(a), m, n, k);
        CheckOperand(b.Length, bRows, bCols, ldb, transB ? "Bᵀ" : "B", nameof(b), m, n, k);
        CheckOperand(c.Length, m, n, ldc, "C", nameof(c), m, n, k);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f)
        {
            ManagedGemm.ScaleC(c, m, n, ldc, beta);
            return;
        }

        if (Backend == GemmBackend.OpenBlas)
        {
            unsafe
            {
                fixed (float* pa = a, pb = b, pc = c)
                    OpenBlas.Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, Parallelism.Threads);
            }
            return;
        }
        ManagedGemm.Run(a, b, c, m, n, k, transA, transB, alpha, beta, lda, ldb, ldc);
    }

    private static void CheckOperand(int length, int rows, int cols, int ld, string name, string paramName, int m, int n, int k)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"gemm: leading dimension {ld} of {name} [{rows}, {cols}] is smaller than its row length (m={m}, n={n}, k={k}).", paramName);
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"gemm: {name} [{rows}, {cols}] with leading dimension {ld} needs {needed} values but the span holds {length} (m={m}, n={n}, k={k}).", paramName);
    }

    private static GemmBackend BackendFromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(BackendVariable);
        // Probing OpenBLAS loads it (and starts its thread pool), so only do that when the variable asks for it.
        bool wantsProbe = !string.IsNullOrWhiteSpace(value) && !value.Trim().Equals("managed", StringComparison.OrdinalIgnoreCase);
        return ParseBackend(value, wantsProbe && OpenBlas.IsAvailable);
    }

    /// <summary>The backend a <c>UNRAVEL_BLAS</c> value selects, given whether OpenBLAS can be loaded.</summary>
    internal static GemmBackend ParseBackend(string? value, bool openBlasAvailable)
    {
        value = value?.Trim();
        switch (value?.ToLowerInvariant())
        {
            case null or "" or "managed":
                return GemmBackend.Managed;
            case "auto":
                return openBlasAvailable ? GemmBackend.OpenBlas : GemmBackend.Managed;
            case "openblas":
                if (!openBlasAvailable) throw OpenBlasMissing($"{BackendVariable}=openblas");
                return GemmBackend.OpenBlas;
            default:
                throw new InvalidOperationException(
                    $"{BackendVariable}='{value}' is not a GEMM backend; use managed, openblas or auto.");
        }
    }

    private static InvalidOperationException OpenBlasMissing(string what) => new(
        $"{what}, but no OpenBLAS library could be loaded (tried {string.Join(", ", OpenBlas.CandidateNames)}). " +
        $"Install it (Debian/Ubuntu: apt-get install libopenblas0-pthread) or set {BackendVariable}=managed or auto.");
}
