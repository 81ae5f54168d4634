// Kernel and blocking choices derived from the detected CPU (CpuInfo), in one place: the GEMM micro-kernel by vector
// width, and the cache blocking of the packed GEMM and convolutions by cache size, following the BLIS analytical model
// (Low et al., "Analytical Modeling Is Enough for High-Performance BLIS", TOMS 2016): the B micro-panel (KC·NR floats)
// in L1d, the packed A block (MC·KC) in L2, the packed B block (KC·NC) in a core's share of L3. Fractions leave room for
// the other operand streams. On a 48 KiB L1d / 1-2 MiB L2 core these give KC 256 and 256-position convolution blocks,
// the values swept by hand on Sapphire Rapids (MC 96-384, KC 128-384, NC 512-4096 were within noise except KC 128).
// Block sizes change only how work is cut, except KC, which fixes the summation order: results are deterministic for a
// given CPU, kernel and thread count, and the slow references in the tests bound the difference between plans.

using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

/// <summary>The kernel choices for one CPU.</summary>
/// <param name="Cpu">The CPU they were derived from.</param>
/// <param name="GemmKernel">"avx512" (12×32 tiles), "avx2" (6×16) or "portable" (4×8).</param>
/// <param name="MC">Rows of the packed A block of the chosen kernel.</param>
/// <param name="KC">Depth of a packed block (k values per pass) of the chosen kernel.</param>
/// <param name="NC">Columns of the packed B block of the chosen kernel.</param>
/// <param name="ConvBlockPositions">Output positions per block of the packed-GEMM convolution.</param>
/// <param name="ConvSplitBudget">Floats of im2col one block of a split image may hold (half of L2).</param>
public sealed record KernelPlan(CpuInfo Cpu, string GemmKernel, int MC, int KC, int NC, int ConvBlockPositions, int ConvSplitBudget)
{
    /// <summary>The plan of this process's CPU.</summary>
    public static KernelPlan Current { get; } = For(CpuInfo.Current);

    /// <summary>The plan for <paramref name="cpu"/>.</summary>
    public static KernelPlan For(CpuInfo cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        (string kernel, int mrQuantum, int nr) = KernelFor(cpu.VectorBits);
        GemmBlocking b = Blocking(cpu, mrQuantum, nr);
        return new KernelPlan(cpu, kernel, b.MC, b.KC, b.NC, BlockPositions(cpu, b.KC), SplitBudget(cpu));
    }

    /// <summary>One line for reports, e.g. "cpu: AMD EPYC (AuthenticAMD family 26 model 2, Zen 5), AVX-512, L1d 48K,
    /// L2 1M, L3 32M (cpuid), 2 cores -> GEMM avx512 mc 240 kc 256 nc 2048, conv 256 positions per block".</summary>
    public string Describe()
    {
        string arch = Cpu.Microarchitecture.Length > 0 ? ", " + Cpu.Microarchitecture : "";
        return $"cpu: {Cpu.Name} ({Cpu.Vendor} family {Cpu.Family} model {Cpu.Model}{arch}), {Cpu.VectorIsa}, " +
            $"L1d {Size(Cpu.L1dBytes)}, L2 {Size(Cpu.L2Bytes)}, L3 {Size(Cpu.L3Bytes)} ({Cpu.CacheSource}), {Cpu.Cores} cores " +
            $"-> GEMM {GemmKernel} mc {MC} kc {KC} nc {NC}, conv {ConvBlockPositions} positions per block";
    }

    /// <summary>The blocking of the micro-kernel with <paramref name="nr"/> columns (any kernel may be forced by tests and
    /// benchmarks, so each has its own).</summary>
    internal GemmBlocking BlockingFor(int nr)
    {
        (_, int mrQuantum, _) = KernelFor(nr == 32 ? 512 : nr == 16 ? 256 : 128);
        return Blocking(Cpu, mrQuantum, nr);
    }

    internal ManagedGemm.KernelKind Kernel => GemmKernel switch
    {
        "avx512" => ManagedGemm.KernelKind.Avx512,
        "avx2" => ManagedGemm.KernelKind.Avx2,
        _ => ManagedGemm.KernelKind.Portable,
    };

    /// <summary>Kernel name, the multiple MC must be of (the least common multiple of the MR of every kernel with that NR:
    /// the AVX-512 GEMM's 12 and the 8-row convolution kernel's 8), and NR.</summary>
    private static (string Kernel, int MrQuantum, int NR) KernelFor(int vectorBits) => vectorBits switch
    {
        >= 512 => ("avx512", 24, 32),
        >= 256 => ("avx2", 6, 16),
        _ => ("portable", 4, 8),
    };

    private static GemmBlocking Blocking(CpuInfo cpu, int mrQuantum, int nr)
    {
        int kc = Math.Clamp(FloorTo(cpu.L1dBytes * 3 / 4 / (nr * sizeof(float)), 64), 128, 256);
        int mc = Math.Clamp(FloorTo(cpu.L2Bytes / 4 / (kc * sizeof(float)), mrQuantum), 4 * mrQuantum, FloorTo(384, mrQuantum));
        // A core's share of L3, at most 4 × L2: a VM may report the whole socket's L3 (508 MiB on a 2-core Turin guest)
        // while seeing only a few of its cores.
        long l3Share = cpu.L3Bytes > 0 ? Math.Min(cpu.L3Bytes / Math.Max(1, cpu.Cores), 4 * cpu.L2Bytes) : cpu.L2Bytes;
        int nc = Math.Clamp(FloorTo(l3Share / 2 / (kc * sizeof(float)), nr), 512, 2048);
        return new GemmBlocking(mc, kc, nc);
    }

    /// <summary>A multiple of 32 (every kernel's NR) with KC × positions floats in a quarter of L2.</summary>
    private static int BlockPositions(CpuInfo cpu, int kc) => Math.Clamp(FloorTo(cpu.L2Bytes / 4 / (kc * sizeof(float)), 32), 64, 512);

    private static int SplitBudget(CpuInfo cpu) => (int)Math.Clamp(cpu.L2Bytes / 2 / sizeof(float), 1 << 15, 1 << 19);

    private static int FloorTo(long value, int multiple) => (int)Math.Min(int.MaxValue, value / multiple * multiple);

    private static string Size(long bytes) => bytes == 0 ? "none"
        : bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)}M" : $"{bytes / 1024}K";
}
