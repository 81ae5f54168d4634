// The CPU the engine runs on, as far as kernel choices care: vector instruction set, data cache sizes, core count, and a
// name for reports. Machines of this project's kind change between sessions (Sapphire Rapids, Zen 4, Zen 5), so block
// sizes are derived from these values (KernelPlan) instead of being tuned on one of them. Cache sizes come from Linux
// sysfs (/sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}) when it lists them, else from CPUID's
// deterministic cache parameters (leaf 4 on Intel, 0x8000001D on AMD), else from AMD's legacy leaves 0x80000005/6,
// else conservative defaults.
// References: Intel 64 and IA-32 Architectures Software Developer's Manual, vol. 2A, CPUID; AMD64 Architecture
// Programmer's Manual, vol. 3, appendix E (CPUID); Linux Documentation/ABI/testing/sysfs-devices-system-cpu.

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Unravel.Tensors;

/// <summary>What the kernels need to know about the CPU.</summary>
/// <param name="Name">The brand string (e.g. "AMD EPYC 9B45"), or the vendor when the CPU reports none.</param>
/// <param name="Vendor">"AuthenticAMD", "GenuineIntel", … or "unknown".</param>
/// <param name="Family">Display family (base + extended), 0 when unknown.</param>
/// <param name="Model">Display model (base + extended), 0 when unknown.</param>
/// <param name="Microarchitecture">"Zen 5", "Sapphire Rapids", … or "" when not in the table.</param>
/// <param name="VectorBits">Widest float vector the managed kernels use: 512, 256 or 128.</param>
/// <param name="L1dBytes">Level-1 data cache per core.</param>
/// <param name="L2Bytes">Level-2 cache per core.</param>
/// <param name="L3Bytes">Level-3 cache (shared), 0 when there is none.</param>
/// <param name="Cores">Logical processors available to the process.</param>
/// <param name="CacheSource">"sysfs", "cpuid" or "default".</param>
public sealed record CpuInfo(string Name, string Vendor, int Family, int Model, string Microarchitecture, int VectorBits,
    long L1dBytes, long L2Bytes, long L3Bytes, int Cores, string CacheSource)
{
    /// <summary>Cache sizes assumed when neither sysfs nor CPUID reports them (a small Haswell-era core).</summary>
    internal const long DefaultL1d = 32 * 1024, DefaultL2 = 256 * 1024, DefaultL3 = 8 * 1024 * 1024;

    /// <summary>The CPU of this process, detected once.</summary>
    public static CpuInfo Current { get; } = Detect();

    /// <summary>"AVX-512", "AVX2" or "SSE/NEON (128-bit)" for <see cref="VectorBits"/>.</summary>
    public string VectorIsa => VectorBits switch { 512 => "AVX-512", 256 => "AVX2", _ => "128-bit" };

    /// <summary>Reads the CPU now (sysfs, CPUID and the runtime's instruction-set flags).</summary>
    public static CpuInfo Detect()
    {
        (string vendor, string brand, int family, int model) = ReadIdentity();
        int vectorBits = Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? 512
            : Avx2.IsSupported && Fma.IsSupported ? 256 : 128;
        (long l1, long l2, long l3, string source) = ReadSysfsCaches("/sys/devices/system/cpu/cpu0/cache") is { } s
            ? (s.L1d, s.L2, s.L3, "sysfs")
            : ReadCpuidCaches(vendor) is { } c ? (c.L1d, c.L2, c.L3, "cpuid")
            : (DefaultL1d, DefaultL2, DefaultL3, "default");
        string name = brand.Length > 0 ? brand : vendor;
        return new CpuInfo(name, vendor, family, model, ArchitectureName(vendor, family, model), vectorBits, l1, l2, l3,
            Environment.ProcessorCount, source);
    }

    /// <summary>L1d, L2 and L3 sizes from a sysfs cache directory (index0, index1, …), or null when it lists no L1
    /// data cache.</summary>
    internal static (long L1d, long L2, long L3)? ReadSysfsCaches(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        long l1 = 0, l2 = 0, l3 = 0;
        foreach (string index in Directory.EnumerateDirectories(directory, "index*"))
        {
            string? level = ReadLine(Path.Combine(index, "level")), type = ReadLine(Path.Combine(index, "type"));
            long size = ParseSize(ReadLine(Path.Combine(index, "size")));
            if (level is null || type is null || size <= 0 || type == "Instruction") continue;
            if (level == "1" && type == "Data") l1 = size;
            else if (level == "2") l2 = size;
            else if (level == "3") l3 = size;
        }
        return l1 > 0 ? (l1, l2 > 0 ? l2 : DefaultL2, l3) : null;
    }

    /// <summary>"48K", "1024K", "32M" or a plain byte count as sysfs writes it; 0 when unreadable.</summary>
    internal static long ParseSize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return 0;
        text = text.Trim();
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1024, 'M' => 1024 * 1024, 'G' => 1024L * 1024 * 1024, _ => 1 };
        string digits = unit == 1 ? text : text[..^1];
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) ? n * unit : 0;
    }

    /// <summary>A name for well-known x86 families; "" otherwise.</summary>
    internal static string ArchitectureName(string vendor, int family, int model) => vendor switch
    {
        "AuthenticAMD" => family switch
        {
            0x17 => model >= 0x30 ? "Zen 2" : "Zen",
            0x19 => model is >= 0x10 and <= 0x1F or >= 0x60 and <= 0x7F or >= 0xA0 and <= 0xAF ? "Zen 4" : "Zen 3",
            0x1A => "Zen 5",
            _ => "",
        },
        "GenuineIntel" when family == 6 => model switch
        {
            0x55 => "Skylake-SP / Cascade Lake",
            0x6A or 0x6C => "Ice Lake-SP",
            0x8F => "Sapphire Rapids",
            0xCF => "Emerald Rapids",
            0xAD or 0xAE => "Granite Rapids",
            0x3C or 0x3F or 0x45 or 0x46 => "Haswell",
            0x4F or 0x56 or 0x3D or 0x47 => "Broadwell",
            _ => "",
        },
        _ => "",
    };

    private static string? ReadLine(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path).Trim() : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static (string Vendor, string Brand, int Family, int Model) ReadIdentity()
    {
        if (!X86Base.IsSupported) return ("unknown", "", 0, 0);
        (int maxLeaf, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        string vendor = Ascii(ebx, edx, ecx);
        int family = 0, model = 0;
        if (maxLeaf >= 1)
        {
            int eax = X86Base.CpuId(1, 0).Eax;
            int baseFamily = (eax >> 8) & 0xF, baseModel = (eax >> 4) & 0xF;
            family = baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
            model = baseFamily is 0x6 or 0xF ? baseModel | (((eax >> 16) & 0xF) << 4) : baseModel;
        }
        var brand = new StringBuilder();
        if ((uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax >= 0x80000004)
            for (uint leaf = 0x80000002; leaf <= 0x80000004; leaf++)
            {
                (int a, int b, int c, int d) = X86Base.CpuId(unchecked((int)leaf), 0);
                brand.Append(Ascii(a, b, c, d));
            }
        return (vendor, brand.ToString().Trim(), family, model);
    }

    private static (long L1d, long L2, long L3)? ReadCpuidCaches(string vendor)
    {
        if (!X86Base.IsSupported) return null;
        // Deterministic cache parameters: one subleaf per cache until type 0. AMD has them at 0x8000001D when the
        // topology extensions flag (0x80000001 ECX bit 22) is set.
        uint leaf = vendor == "GenuineIntel" ? 4u
            : vendor == "AuthenticAMD" && (X86Base.CpuId(unchecked((int)0x80000001), 0).Ecx & (1 << 22)) != 0 ? 0x8000001Du : 0u;
        long l1 = 0, l2 = 0, l3 = 0;
        if (leaf != 0)
            for (int sub = 0; sub < 16; sub++)
            {
                (int eax, int ebx, int ecx, _) = X86Base.CpuId(unchecked((int)leaf), sub);
                int type = eax & 0x1F, level = (eax >> 5) & 0x7;
                if (type == 0) break;
                if (type == 2) continue; // instruction cache
                long size = (long)(((ebx >> 22) & 0x3FF) + 1) * (((ebx >> 12) & 0x3FF) + 1) * ((ebx & 0xFFF) + 1) * ((long)(uint)ecx + 1);
                if (level == 1) l1 = size;
                else if (level == 2) l2 = size;
                else if (level == 3) l3 = size;
            }
        if (l1 == 0 && vendor == "AuthenticAMD" && (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax >= 0x80000006)
        {
            l1 = (long)((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24) * 1024;
            (_, _, int ecx6, int edx6) = X86Base.CpuId(unchecked((int)0x80000006), 0);
            l2 = (long)((uint)ecx6 >> 16) * 1024;
            l3 = (long)((uint)edx6 >> 18) * 512 * 1024;
        }
        return l1 > 0 ? (l1, l2 > 0 ? l2 : DefaultL2, l3) : null;
    }

    private static string Ascii(params int[] registers)
    {
        var bytes = new byte[registers.Length * 4];
        for (int i = 0; i < registers.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), registers[i]);
        return Encoding.ASCII.GetString(bytes).TrimEnd('\0');
    }
}
