// Which implementation Gemm.Sgemm dispatches to.

namespace Unravel.Tensors.Kernels;

/// <summary>GEMM implementation selected by <see cref="Gemm.Backend"/>.</summary>
public enum GemmBackend
{
    /// <summary>The packed, blocked C# kernel (default; works everywhere).</summary>
    Managed,

    /// <summary>cblas_sgemm from a system OpenBLAS, loaded at run time.</summary>
    OpenBlas,
}
