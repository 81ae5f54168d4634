// [Fact]/[Theory] variants that are reported as skipped, with the reason, on a machine that cannot run the test (no
// AVX2+FMA, no AVX-512F, no loadable OpenBLAS), instead of returning early and being counted as passed.

using System.Runtime.Intrinsics.X86;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors.Tests.Support;

/// <summary>Why a test needing <paramref name="need"/> cannot run here, or null when it can.</summary>
internal static class Requirement
{
    public const string Avx2 = "AVX2+FMA";
    public const string Avx512 = "AVX-512F";
    public const string OpenBlas = "OpenBLAS";

    public static string? Missing(string need) => need switch
    {
        Avx2 => System.Runtime.Intrinsics.X86.Avx2.IsSupported && Fma.IsSupported ? null
            : "the CPU lacks AVX2+FMA, so the AVX2 kernels and the Winograd path are never selected here",
        Avx512 => Avx512F.IsSupported ? null : "the CPU lacks AVX-512F, so the AVX-512 kernels are never selected here",
        OpenBlas => Gemm.IsOpenBlasAvailable ? null
            : "OpenBLAS is not installed or not loadable (apt-get install libopenblas0-pthread; .ci/run does)",
        _ => throw new ArgumentException($"unknown requirement '{need}'", nameof(need)),
    };
}

[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresFactAttribute : FactAttribute
{
    public RequiresFactAttribute(string need) => Skip = Requirement.Missing(need);
}

[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresTheoryAttribute : TheoryAttribute
{
    public RequiresTheoryAttribute(string need) => Skip = Requirement.Missing(need);
}
