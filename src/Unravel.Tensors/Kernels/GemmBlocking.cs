// Cache blocking of the packed GEMM, per micro-kernel. KC·NR·4 bytes (a B micro-panel) should sit in L1, MC·KC·4
// (the packed A block) in L2, KC·NC·4 (the packed B block) in L2/L3. The AVX-512 sizes were swept on a 2-core
// Sapphire Rapids VM (L1d 48 KiB, L2 2 MiB per core): MC 96–384, KC 128–384 and NC 512–4096 were within noise of
// each other except KC 128 (5–8 % slower). The AVX2 sizes are BLIS's Haswell/Zen choices (MC 144, KC 256).

namespace Unravel.Tensors.Kernels;

/// <summary>Block sizes of the packed GEMM loop nest.</summary>
internal readonly record struct GemmBlocking(int MC, int KC, int NC)
{
    public static GemmBlocking For<TK>() where TK : struct, IGemmMicroKernel =>
        TK.NR == 32 ? Avx512 : TK.NR == 16 ? Avx2 : Portable;

    // Overridable so the benchmark can sweep block sizes without a rebuild; MC must be a multiple of MR and NC of NR.
    internal static GemmBlocking Avx512 { get; set; } = new(MC: 192, KC: 256, NC: 1024);
    internal static GemmBlocking Avx2 { get; set; } = new(MC: 144, KC: 256, NC: 1024);
    internal static GemmBlocking Portable { get; set; } = new(MC: 128, KC: 256, NC: 1024);
}
