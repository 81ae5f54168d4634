// KernelPlan / CpuInfo: block sizes derived from cache sizes keep the BLIS constraints (MC a multiple of every MR, NC of
// NR, the B micro-panel within L1d, conv blocks a multiple of every NR), the machines this project has met get the
// expected plans, sysfs cache listings parse, and the packed GEMM and packed convolution give the slow references'
// values under the plans of other CPUs (so a machine kind we have not seen runs a tested configuration), bit-identical
// across thread counts.

using Unravel.Tensors.Kernels;

namespace Unravel.Tensors.Tests.Kernels;

[Collection(nameof(GemmTests))]
public sealed class KernelPlanTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const long K = 1024, M = 1024 * 1024;

    private static CpuInfo Cpu(int vectorBits, long l1d, long l2, long l3, int cores = 2) =>
        new("test", "test", 0, 0, "", vectorBits, l1d, l2, l3, cores, "test");

    /// <summary>Zen 5 (EPYC, this project's VMs), Sapphire Rapids, a 32 KiB-L1d AVX-512 core, Haswell (also the defaults
    /// used when nothing is reported), and a CPU without L3 or wide vectors.</summary>
    public static TheoryData<int, long, long, long> Cpus() => new()
    {
        { 512, 48 * K, 1 * M, 32 * M }, { 512, 48 * K, 2 * M, 105 * M }, { 512, 32 * K, 1 * M, 32 * M },
        { 256, CpuInfo.DefaultL1d, CpuInfo.DefaultL2, CpuInfo.DefaultL3 }, { 128, 16 * K, 512 * K, 0 },
    };

    [Theory]
    [MemberData(nameof(Cpus))]
    public void For_AnyCpu_KeepsTheBlockingConstraints(int vectorBits, long l1d, long l2, long l3)
    {
        KernelPlan plan = KernelPlan.For(Cpu(vectorBits, l1d, l2, l3));
        foreach ((int nr, int[] mrs) in new[] { (32, new[] { 12, 8 }), (16, new[] { 6 }), (8, new[] { 4 }) })
        {
            GemmBlocking b = plan.BlockingFor(nr);
            Assert.All(mrs, mr => Assert.Equal(0, b.MC % mr));
            Assert.Equal(0, b.NC % nr);
            Assert.InRange(b.KC, 128, 256);
            if (l1d >= 32 * K) Assert.True((long)b.KC * nr * sizeof(float) <= l1d, $"KC {b.KC} × NR {nr} overflows L1d {l1d}");
        }
        Assert.Equal(0, plan.ConvBlockPositions % 32);
        Assert.Equal(plan.BlockingFor(vectorBits >= 512 ? 32 : vectorBits >= 256 ? 16 : 8), new GemmBlocking(plan.MC, plan.KC, plan.NC));
    }

    [Fact]
    public void For_KnownMachines_GivesTheirPlans()
    {
        // Zen 5 / Sapphire Rapids-like cores: KC 256 and 256-position conv blocks, as swept by hand on Sapphire Rapids.
        KernelPlan zen5 = KernelPlan.For(Cpu(512, 48 * K, 1 * M, 32 * M));
        Assert.Equal(("avx512", 240, 256, 2048, 256), (zen5.GemmKernel, zen5.MC, zen5.KC, zen5.NC, zen5.ConvBlockPositions));
        // A 32 KiB L1d holds a 192-deep 32-wide B micro-panel in three quarters of it.
        Assert.Equal(192, KernelPlan.For(Cpu(512, 32 * K, 1 * M, 32 * M)).KC);
        // Haswell: BLIS's KC 256 for 6×16; the A block in a quarter of its 256 KiB L2, the B block in half of a core's
        // L3 share (capped at 4 × L2).
        KernelPlan haswell = KernelPlan.For(Cpu(256, 32 * K, 256 * K, 8 * M, cores: 4));
        Assert.Equal(("avx2", 60, 256, 512, 64), (haswell.GemmKernel, haswell.MC, haswell.KC, haswell.NC, haswell.ConvBlockPositions));
        Assert.Equal("portable", KernelPlan.For(Cpu(128, 32 * K, 256 * K, 0)).GemmKernel);
    }

    [Fact]
    public void Current_OnThisMachine_DescribesItsCpuAndPlan()
    {
        KernelPlan plan = KernelPlan.Current;
        Assert.True(plan.Cpu.L1dBytes > 0 && plan.Cpu.L2Bytes > 0);
        Assert.True(plan.Cpu.Cores >= 1);
        string line = plan.Describe();
        output.WriteLine(line);
        Assert.StartsWith("cpu: ", line);
        Assert.Contains($"GEMM {plan.GemmKernel} mc {plan.MC} kc {plan.KC} nc {plan.NC}", line);
        Assert.Equal(plan.Kernel, ManagedGemm.BestKernel());
    }

    [Theory]
    [InlineData("48K", 48 * K)]
    [InlineData("1024K", 1 * M)]
    [InlineData("32M", 32 * M)]
    [InlineData("65536", 64 * K)]
    [InlineData("", 0)]
    [InlineData("big", 0)]
    public void ParseSize_SysfsValues(string text, long expected) => Assert.Equal(expected, CpuInfo.ParseSize(text));

    [Fact]
    public void ReadSysfsCaches_ReadsDataAndUnifiedCachesOnly()
    {
        string dir = Path.Combine(Path.GetTempPath(), "unravel-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            void Index(int i, string level, string type, string size)
            {
                string d = Path.Combine(dir, $"index{i}");
                Directory.CreateDirectory(d);
                File.WriteAllText(Path.Combine(d, "level"), level + "\n");
                File.WriteAllText(Path.Combine(d, "type"), type + "\n");
                File.WriteAllText(Path.Combine(d, "size"), size + "\n");
            }
            Index(0, "1", "Data", "48K");
            Index(1, "1", "Instruction", "32K");
            Index(2, "2", "Unified", "2048K");
            Index(3, "3", "Unified", "105M");
            Assert.Equal((48 * K, 2 * M, 105 * M), CpuInfo.ReadSysfsCaches(dir));
            Assert.Null(CpuInfo.ReadSysfsCaches(Path.Combine(dir, "missing")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Cpus))]
    public void PackedGemm_UnderThePlanOfAnotherCpu_MatchesReference(int vectorBits, long l1d, long l2, long l3)
    {
        KernelPlan plan = KernelPlan.For(Cpu(vectorBits, l1d, l2, l3));
        // Crosses MC, KC and NC of every plan (NC ≤ 2048), and both two-thread partitions.
        foreach ((int m, int n, int k) in new[] { (400, 2100, 600), (37, 530, 300) })
        {
            var rng = new Random(m + n + k);
            float[] a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            float[] b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            float[] Run(int threads)
            {
                var c = new float[m * n];
                WithPlan(plan, threads, () => Gemm.Sgemm(a, b, c, m, n, k));
                return c;
            }
            float[] one = Run(1), two = Run(2);
            Assert.True(one.AsSpan().SequenceEqual(two), $"{m}x{n}x{k}: 1 and 2 threads differ under {plan}");
            for (int i = 0; i < m; i += 7)
            for (int j = 0; j < n; j += 5)
            {
                double s = 0, scale = 0;
                for (int p = 0; p < k; p++) { s += (double)a[i * k + p] * b[p * n + j]; scale += Math.Abs((double)a[i * k + p] * b[p * n + j]); }
                Assert.True(Math.Abs(one[i * n + j] - s) <= 1e-5 * scale + 1e-6, $"{m}x{n}x{k} [{i},{j}]: {one[i * n + j]} vs {s}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cpus))]
    public void PackedConv2d_UnderThePlanOfAnotherCpu_MatchesReference(int vectorBits, long l1d, long l2, long l3)
    {
        KernelPlan plan = KernelPlan.For(Cpu(vectorBits, l1d, l2, l3));
        // Odd sizes, batch 1 and 3, stride 2, groups, dilation, padding; 23×29 outputs cross 64-512-position blocks.
        foreach ((int n, int c, int o, int h, int w, int kh, int stride, int pad, int dil, int groups) in new[]
                 { (3, 5, 7, 23, 29, 3, 1, 1, 1, 1), (1, 6, 8, 31, 17, 3, 2, 1, 1, 2), (2, 4, 9, 19, 21, 3, 1, 2, 2, 1), (1, 16, 33, 30, 30, 1, 1, 0, 1, 1) })
        {
            var rng = new Random(c * 31 + o);
            Tensor x = Tensor.RandomNormal(rng, n, c, h, w), wt = Tensor.RandomNormal(rng, o, c / groups, kh, kh);
            var options = new Conv2dOptions { Stride = (stride, stride), Padding = (pad, pad), Dilation = (dil, dil), Groups = groups };
            float[] Run(int threads)
            {
                float[] y = [];
                WithPlan(plan, threads, () => y = Tensors.Ops.Conv2d(x, wt, null, options, Conv2dAlgorithm.PackedGemm).ToArray());
                return y;
            }
            float[] one = Run(1), two = Run(2);
            Assert.True(one.AsSpan().SequenceEqual(two), $"conv {n}x{c}x{h}x{w} k{kh} s{stride}: 1 and 2 threads differ");
            double[] reference = ReferenceConv(x, wt, stride, pad, dil, groups, out int oh, out int ow);
            Assert.Equal(reference.Length, one.Length);
            for (int i = 0; i < one.Length; i++)
                Assert.True(Math.Abs(one[i] - reference[i]) <= 1e-4 * (1 + Math.Abs(reference[i])), $"conv [{i}] of {oh}x{ow}: {one[i]} vs {reference[i]}");
        }
    }

    private static double[] ReferenceConv(Tensor x, Tensor w, int stride, int pad, int dil, int groups, out int oh, out int ow)
    {
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), wd = x.Dim(3), o = w.Dim(0), cg = w.Dim(1), k = w.Dim(2);
        oh = (h + 2 * pad - dil * (k - 1) - 1) / stride + 1;
        ow = (wd + 2 * pad - dil * (k - 1) - 1) / stride + 1;
        var y = new double[n * o * oh * ow];
        int og = o / groups;
        for (int b = 0; b < n; b++)
        for (int oc = 0; oc < o; oc++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            double s = 0;
            int g = oc / og;
            for (int ic = 0; ic < cg; ic++)
            for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++)
            {
                int yi = i * stride - pad + u * dil, xj = j * stride - pad + v * dil;
                if (yi < 0 || yi >= h || xj < 0 || xj >= wd) continue;
                s += (double)x[b, g * cg + ic, yi, xj] * w[oc, ic, u, v];
            }
            y[((b * o + oc) * oh + i) * ow + j] = s;
        }
        return y;
    }

    private static void WithPlan(KernelPlan plan, int threads, Action body)
    {
        (GemmBlocking a512, GemmBlocking a2, GemmBlocking portable) = (GemmBlocking.Avx512, GemmBlocking.Avx2, GemmBlocking.Portable);
        int positions = Conv2dPacked.BlockPositions, savedThreads = Parallelism.Threads;
        GemmBackend backend = Gemm.Backend;
        try
        {
            GemmBlocking.Avx512 = plan.BlockingFor(32);
            GemmBlocking.Avx2 = plan.BlockingFor(16);
            GemmBlocking.Portable = plan.BlockingFor(8);
            Conv2dPacked.BlockPositions = plan.ConvBlockPositions;
            Parallelism.Threads = threads;
            Gemm.Backend = GemmBackend.Managed;
            body();
        }
        finally
        {
            (GemmBlocking.Avx512, GemmBlocking.Avx2, GemmBlocking.Portable) = (a512, a2, portable);
            Conv2dPacked.BlockPositions = positions;
            Parallelism.Threads = savedThreads;
            Gemm.Backend = backend;
        }
    }
}
