// Cache blocking of the packed GEMM, per micro-kernel: KC·NR·4 bytes (a B micro-panel) should sit in L1, MC·KC·4
// (the packed A block) in L2, KC·NC·4 (the packed B block) in L2/L3. The sizes come from the detected CPU's caches
// (KernelPlan); the benchmark may override them to sweep without a rebuild.

namespace Unravel.Tensors.Kernels;

/// <summary>Block sizes of the packed GEMM loop nest.</summary>
internal readonly record struct GemmBlocking(int MC, int KC, int NC)
{
    public static GemmBlocking For<TK>() where TK : struct, IGemmMicroKernel =>
        TK.NR == 32 ? Avx512 : TK.NR == 16 ? Avx2 : Portable;

    // Overridable so the benchmark can sweep block sizes without a rebuild; MC must be a multiple of MR and NC of NR.
    internal static GemmBlocking Avx512 { get; set; } = KernelPlan.Current.BlockingFor(32);
    internal static GemmBlocking Avx2 { get; set; } = KernelPlan.Current.BlockingFor(16);
    internal static GemmBlocking Portable { get; set; } = KernelPlan.Current.BlockingFor(8);
}
