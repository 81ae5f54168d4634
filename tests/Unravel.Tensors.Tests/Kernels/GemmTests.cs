// GEMM tests: the managed backend (every micro-kernel this CPU runs) against a naive triple loop with double
// accumulation written here, over odd shapes 1..257, transposes, alpha/beta, leading dimensions, empty dimensions,
// special values, determinism across runs and thread counts, and agreement with OpenBLAS when it is installed.
// The class changes process-wide settings (Parallelism.Threads, Gemm.Backend, the kernel), so it runs alone.

using System.Globalization;
using System.Text;
using Unravel.Tensors.Kernels;
using Unravel.Tensors.Tests.Support;
using Xunit.Sdk;
using KernelKind = Unravel.Tensors.Kernels.ManagedGemm.KernelKind;

namespace Unravel.Tensors.Tests.Kernels;

[CollectionDefinition(nameof(GemmTests), DisableParallelization = true)]
public sealed class GemmTestsCollection;

[Collection(nameof(GemmTests))]
public sealed class GemmTests
{
    private static readonly int[] OddSizes = [1, 2, 3, 5, 6, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129, 257];

    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (KernelKind kind in Enum.GetValues<KernelKind>())
            if (ManagedGemm.IsSupported(kind)) data.Add(kind.ToString());
        return data;
    }

    // The kernel theories list only the kernels this CPU runs; these two make a missing kernel show as skipped.
    [RequiresFact(Requirement.Avx2)]
    public void Kernels_Avx2_IsAmongTheTestedKernels() => Assert.Contains(nameof(KernelKind.Avx2), ((IEnumerable<object?[]>)Kernels()).Select(row => (string)row[0]!));

    [RequiresFact(Requirement.Avx512)]
    public void Kernels_Avx512_IsAmongTheTestedKernels() => Assert.Contains(nameof(KernelKind.Avx512), ((IEnumerable<object?[]>)Kernels()).Select(row => (string)row[0]!));

    /// <summary>Kernel × a fixed random sample of (m, n, k) from <see cref="OddSizes"/>³, plus its corners.</summary>
    public static TheoryData<string, int, int, int> OddShapes()
    {
        var rng = new Random(2024);
        var shapes = new List<(int, int, int)> { (1, 1, 1), (257, 257, 257), (1, 257, 257), (257, 1, 257), (257, 257, 1), (6, 16, 257), (12, 32, 257) };
        while (shapes.Count < 40)
            shapes.Add((OddSizes[rng.Next(OddSizes.Length)], OddSizes[rng.Next(OddSizes.Length)], OddSizes[rng.Next(OddSizes.Length)]));
        var data = new TheoryData<string, int, int, int>();
        foreach (KernelKind kind in Enum.GetValues<KernelKind>())
            if (ManagedGemm.IsSupported(kind))
                foreach ((int m, int n, int k) in shapes) data.Add(kind.ToString(), m, n, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(OddShapes))]
    public void Managed_OddShapes_MatchesReference(string kind, int m, int n, int k)
    {
        var rng = new Random(m * 1_000_003 + n * 1009 + k);
        bool transA = rng.Next(2) == 1, transB = rng.Next(2) == 1;
        var g = GemmCase.Random(rng, m, n, k, transA, transB, alpha: 1f, beta: 0f);
        WithManaged(kind, 2, () => g.Run());
        g.AssertMatchesReference($"{kind} {m}x{n}x{k} tA={transA} tB={transB}");
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Managed_AllTransposes_MatchReference(string kind)
    {
        foreach ((int m, int n, int k) in new[] { (37, 45, 300), (130, 70, 520), (13, 200, 64) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    var g = GemmCase.Random(new Random(m + n + k), m, n, k, ta, tb, alpha: 1f, beta: 0f);
                    WithManaged(kind, 2, () => g.Run());
                    g.AssertMatchesReference($"{kind} {m}x{n}x{k} tA={ta} tB={tb}");
                }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Managed_AlphaBetaAndLeadingDimensions_MatchReferenceAndKeepPadding(string kind)
    {
        foreach ((int m, int n, int k) in new[] { (5, 9, 4), (50, 70, 90), (131, 67, 301) })
            foreach ((float alpha, float beta) in new[] { (0.5f, 0f), (1f, 1f), (-1.25f, 0.75f), (2f, -1f) })
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                    {
                        var rng = new Random(m * 31 + n);
                        var g = GemmCase.Random(rng, m, n, k, ta, tb, alpha, beta, padA: 3, padB: 5, padC: 7);
                        WithManaged(kind, 2, () => g.Run());
                        g.AssertMatchesReference($"{kind} {m}x{n}x{k} tA={ta} tB={tb} alpha={alpha} beta={beta} padded");
                        g.AssertPaddingUntouched($"{kind} {m}x{n}x{k}");
                    }
    }

    [Theory]
    [InlineData(0, 5, 7)]
    [InlineData(5, 0, 7)]
    [InlineData(0, 0, 0)]
    public void Sgemm_EmptyOutput_LeavesEverythingAlone(int m, int n, int k)
    {
        float[] c = [42f];
        Gemm.Sgemm(new float[m * k], new float[k * n], c, m, n, k, beta: 0f);
        Assert.Equal(42f, c[0]);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(2f)]
    public void Sgemm_KZero_ScalesCByBeta(float beta)
    {
        float[] c = [1f, float.NaN, -3f, 4f];
        Gemm.Sgemm([], [], c, 2, 2, 0, beta: beta);
        float[] expected = beta == 0f ? [0f, 0f, 0f, 0f] : [2f, float.NaN, -6f, 8f];
        Assert.Equal(expected, c);
    }

    [Fact]
    public void Sgemm_AlphaZero_DoesNotReadAOrB()
    {
        float[] a = [float.NaN, float.NaN], b = [float.PositiveInfinity, 1f], c = [1f, 2f, 3f, 4f];
        Gemm.Sgemm(a, b, c, 2, 2, 1, alpha: 0f, beta: 0.5f);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], c);
    }

    public static TheoryData<string, int> KernelsAndSizes()
    {
        var data = new TheoryData<string, int>();
        foreach (KernelKind kind in Enum.GetValues<KernelKind>())
            if (ManagedGemm.IsSupported(kind))
                foreach (int s in new[] { 7, 100 }) data.Add(kind.ToString(), s); // 7: unpacked path, 100: packed path
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelsAndSizes))]
    public void Managed_BetaZeroWithNaNInC_OverwritesC(string kind, int size)
    {
        foreach (bool tb in new[] { false, true })
        {
            var g = GemmCase.Random(new Random(5), size, size + 3, size, false, tb, alpha: 1f, beta: 0f);
            Array.Fill(g.C, float.NaN);
            WithManaged(kind, 2, () => g.Run());
            Assert.DoesNotContain(g.C, float.IsNaN);
            g.AssertMatchesReference($"{kind} size {size} tB={tb}");
        }
    }

    [Theory]
    [MemberData(nameof(KernelsAndSizes))]
    public void Managed_NaNAndInfInputs_PropagateLikeReference(string kind, int size)
    {
        var g = GemmCase.Random(new Random(6), size, size + 5, size + 1, false, false, alpha: 1f, beta: 0f);
        g.A[2 * g.Lda + 3] = float.NaN;                  // row 2 of C becomes NaN
        g.B[4 * g.Ldb + 1] = float.PositiveInfinity;     // column 1 of C becomes ±Inf (NaN in row 2)
        g.B[0 * g.Ldb + 6] = float.NegativeInfinity;     // column 6 of C becomes ∓Inf
        WithManaged(kind, 2, () => g.Run());
        Assert.True(float.IsNaN(g.C[2 * g.Ldc + 0]), "NaN in A must reach its row of C");
        Assert.True(float.IsInfinity(g.C[0 * g.Ldc + 1]), "Inf in B must reach its column of C");
        g.AssertMatchesReference($"{kind} size {size} with NaN/Inf");
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Managed_RepeatedRunsAndThreadCounts_AreBitIdenticalAndCorrect(string kind)
    {
        // Packed path split by rows and by columns, and the unpacked path for few rows (direct and dot forms) and
        // few columns, each large enough to be shared by two threads.
        foreach ((int m, int n, int k, bool tb) in new[] { (64, 3136, 576, true), (301, 203, 517, false), (3, 700, 300, true),
                                                           (5, 1000, 300, false), (1000, 5, 300, false), (2, 600, 700, true) })
        {
            var g = GemmCase.Random(new Random(9), m, n, k, false, tb, alpha: 1f, beta: 0.5f);
            float[] c0 = (float[])g.C.Clone();
            float[] OneRun(int threads)
            {
                Array.Copy(c0, g.C, c0.Length);
                WithManaged(kind, threads, () => g.Run());
                return (float[])g.C.Clone();
            }
            float[] first = OneRun(2), second = OneRun(2), single = OneRun(1);
            Assert.True(first.AsSpan().SequenceEqual(second), $"{kind} {m}x{n}x{k}: two 2-thread runs differ");
            g.AssertMatchesReference($"{kind} {m}x{n}x{k} 1 thread", single);
            g.AssertMatchesReference($"{kind} {m}x{n}x{k} 2 threads", first);
            // Stronger than required: the k order never depends on the partition.
            Assert.True(first.AsSpan().SequenceEqual(single), $"{kind} {m}x{n}x{k}: 1 and 2 threads differ");
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Managed_SharedOperandInBands_MatchesUnbandedBitForBit(string kind)
    {
        // A tiny shared-buffer limit forces row/column bands and k spans in the two-thread path; the k order of every
        // element is unchanged, so the result must equal the unbanded one exactly.
        foreach ((int m, int n, int k, bool ta, bool tb) in new[] { (50, 300, 2000, false, false), (300, 50, 2000, true, true), (130, 140, 700, false, true) })
        {
            var g = GemmCase.Random(new Random(13), m, n, k, ta, tb, alpha: 1.5f, beta: -0.5f);
            float[] c0 = (float[])g.C.Clone();
            WithManaged(kind, 2, () => g.Run());
            float[] unbanded = (float[])g.C.Clone();
            long savedLimit = ManagedGemm.SharedLimit;
            Array.Copy(c0, g.C, c0.Length);
            ManagedGemm.SharedLimit = 10_000;
            try { WithManaged(kind, 2, () => g.Run()); }
            finally { ManagedGemm.SharedLimit = savedLimit; }
            g.AssertMatchesReference($"{kind} {m}x{n}x{k} banded");
            Assert.True(unbanded.AsSpan().SequenceEqual(g.C), $"{kind} {m}x{n}x{k}: banded and unbanded results differ");
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Managed_LargerThanBlockSizes_MatchesReference(string kind)
    {
        // 300×700×600 crosses MC, KC and the thread split; and 2100 columns cross NC (at most 2048, KernelPlan).
        foreach ((int m, int n, int k, bool tb) in new[] { (300, 700, 600, false), (40, 2100, 260, true) })
        {
            var g = GemmCase.Random(new Random(11), m, n, k, false, tb, alpha: 1f, beta: 0f);
            WithManaged(kind, 2, () => g.Run());
            g.AssertMatchesReference($"{kind} {m}x{n}x{k} tB={tb}");
        }
    }

    [Fact]
    public void OpenBlas_NotLoadable_OnlyWhenNoLibraryFileExists()
    {
        string[] files = ["/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
                          "/usr/lib64/libopenblas.so.0", "/usr/lib/libopenblas.so.0", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib"];
        string? present = files.FirstOrDefault(File.Exists);
        if (Gemm.IsOpenBlasAvailable)
        {
            WithBackend(GemmBackend.OpenBlas, 1, () => Assert.Equal(GemmBackend.OpenBlas, Gemm.Backend));
        }
        else
        {
            Assert.True(present is null, $"{present} exists but Gemm.IsOpenBlasAvailable is false");
            Assert.Throws<InvalidOperationException>(() => Gemm.Backend = GemmBackend.OpenBlas);
        }
    }

    [RequiresFact(Requirement.OpenBlas)]
    public void OpenBlas_WhenInstalled_AgreesWithManaged()
    {
        foreach ((int m, int n, int k) in new[] { (1, 1, 1), (7, 9, 5), (129, 65, 257), (300, 700, 600) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    var g = GemmCase.Random(new Random(m + k), m, n, k, ta, tb, alpha: 0.75f, beta: -0.5f, padA: 2, padB: 1, padC: 3);
                    float[] c0 = (float[])g.C.Clone();
                    WithBackend(GemmBackend.OpenBlas, 2, () => g.Run());
                    float[] viaOpenBlas = (float[])g.C.Clone();
                    g.AssertMatchesReference($"openblas {m}x{n}x{k} tA={ta} tB={tb}", viaOpenBlas);
                    Array.Copy(c0, g.C, c0.Length);
                    WithBackend(GemmBackend.Managed, 2, () => g.Run());
                    AssertScaledClose(g.Compact(viaOpenBlas), g.Compact(g.C), g.Scale, k, $"managed vs openblas {m}x{n}x{k} tA={ta} tB={tb}");
                }
        var nanC = GemmCase.Random(new Random(1), 50, 60, 70, false, false, alpha: 1f, beta: 0f);
        Array.Fill(nanC.C, float.NaN);
        WithBackend(GemmBackend.OpenBlas, 2, () => nanC.Run());
        nanC.AssertMatchesReference("openblas beta=0 over NaN");
    }

    [Theory]
    [InlineData(null, true, GemmBackend.Managed)]
    [InlineData("", true, GemmBackend.Managed)]
    [InlineData("managed", true, GemmBackend.Managed)]
    [InlineData("OpenBLAS", true, GemmBackend.OpenBlas)]
    [InlineData(" auto ", true, GemmBackend.OpenBlas)]
    [InlineData("auto", false, GemmBackend.Managed)]
    public void ParseBackend_Values_SelectBackend(string? value, bool available, GemmBackend expected) =>
        Assert.Equal(expected, Gemm.ParseBackend(value, available));

    [Fact]
    public void ParseBackend_OpenBlasMissing_ThrowsNamingVariableLibrariesAndHint()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Gemm.ParseBackend("openblas", openBlasAvailable: false));
        Assert.Contains("UNRAVEL_BLAS", e.Message);
        Assert.Contains("libopenblas.so.0", e.Message);
        Assert.Contains("apt-get install libopenblas0-pthread", e.Message);
    }

    [Fact]
    public void ParseBackend_UnknownValue_ThrowsNamingVariable()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Gemm.ParseBackend("mkl", openBlasAvailable: true));
        Assert.Contains("UNRAVEL_BLAS", e.Message);
        Assert.Contains("mkl", e.Message);
    }

    [Fact]
    public void Sgemm_LeadingDimensionTooSmall_ThrowsNamingGemmAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(new float[12], new float[12], new float[9], 3, 3, 4, lda: 3));
        Assert.Contains("gemm", e.Message);
        Assert.Contains("[3, 4]", e.Message);
    }

    [Fact]
    public void Sgemm_SpanTooShort_ThrowsNamingGemmAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(new float[12], new float[11], new float[9], 3, 3, 4, transB: true));
        Assert.Contains("gemm", e.Message);
        Assert.Contains("Bᵀ [3, 4]", e.Message);
        Assert.Equal("b", e.ParamName);
    }

    private static void WithManaged(string kind, int threads, Action body)
    {
        KernelKind savedKernel = ManagedGemm.Kernel;
        ManagedGemm.Kernel = Enum.Parse<KernelKind>(kind);
        try { WithBackend(GemmBackend.Managed, threads, body); }
        finally { ManagedGemm.Kernel = savedKernel; }
    }

    private static void WithBackend(GemmBackend backend, int threads, Action body)
    {
        GemmBackend savedBackend = Gemm.Backend;
        int savedThreads = Parallelism.Threads;
        Gemm.Backend = backend;
        Parallelism.Threads = threads;
        try { body(); }
        finally
        {
            Gemm.Backend = savedBackend;
            Parallelism.Threads = savedThreads;
        }
    }

    /// <summary>|actual − expected| ≤ 1e-5·√k·scale per element (scale = Σ|alpha·a·b| + |beta·c|, the size of what was
    /// summed); NaN must match NaN and ±Inf exactly. Reports the max difference and the first mismatches.</summary>
    private static void AssertScaledClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, ReadOnlySpan<double> scale, int k, string label)
    {
        double tol = 1e-5 * Math.Sqrt(Math.Max(1, k));
        double maxDiff = 0;
        int bad = 0;
        var first = new StringBuilder();
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i];
            float a = actual[i];
            bool ok;
            if (double.IsNaN(e) || float.IsNaN(a)) ok = double.IsNaN(e) && float.IsNaN(a);
            else if (double.IsInfinity(e) || float.IsInfinity(a)) ok = (float)e == a;
            else
            {
                double d = Math.Abs(a - e);
                maxDiff = Math.Max(maxDiff, d);
                ok = d <= tol * scale[i] + 1e-30;
            }
            if (!ok && bad++ < 5) first.Append(CultureInfo.InvariantCulture, $"  [{i}] expected {e:G9}, got {a:G9}\n");
        }
        if (bad > 0)
            throw new XunitException($"{label}: {bad} of {expected.Length} values out of tolerance ({tol:G3}·scale); maxDiff {maxDiff:G4}\n{first}");
    }

    private static void AssertScaledClose(float[] expected, float[] actual, double[] scale, int k, string label) =>
        AssertScaledClose(expected.Select(x => (double)x).ToArray(), actual, scale, k, label);

    /// <summary>One GEMM call with its operands stored with padded leading dimensions, and its double reference.</summary>
    private sealed class GemmCase
    {
        public required int M, N, K, Lda, Ldb, Ldc;
        public required bool TransA, TransB;
        public required float Alpha, Beta;
        public required float[] A, B, C;
        private double[]? _expected, _scale;
        private float[]? _c0;

        public static GemmCase Random(Random rng, int m, int n, int k, bool transA, bool transB, float alpha, float beta,
            int padA = 0, int padB = 0, int padC = 0)
        {
            int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
            var g = new GemmCase
            {
                M = m, N = n, K = k, TransA = transA, TransB = transB, Alpha = alpha, Beta = beta,
                Lda = aCols + padA, Ldb = bCols + padB, Ldc = n + padC,
                A = Fill(rng, aRows * (aCols + padA)), B = Fill(rng, bRows * (bCols + padB)), C = Fill(rng, m * (n + padC)),
            };
            return g;
        }

        public double[] Scale => _scale ?? throw new InvalidOperationException("run first");

        public void Run()
        {
            _c0 ??= (float[])C.Clone();
            Gemm.Sgemm(A, B, C, M, N, K, TransA, TransB, Alpha, Beta, Lda, Ldb, Ldc);
        }

        public void AssertMatchesReference(string label) => AssertMatchesReference(label, C);

        public void AssertMatchesReference(string label, float[] actual)
        {
            ComputeReference();
            AssertScaledClose(_expected, Compact(actual), _scale, K, label);
        }

        /// <summary>The [M, N] values of a C buffer stored with leading dimension Ldc.</summary>
        public float[] Compact(float[] full)
        {
            var got = new float[M * N];
            for (int i = 0; i < M; i++)
                Array.Copy(full, i * Ldc, got, i * N, N);
            return got;
        }

        public void AssertPaddingUntouched(string label)
        {
            for (int i = 0; i < M; i++)
                for (int j = N; j < Ldc; j++)
                    Assert.True(BitConverter.SingleToInt32Bits(C[i * Ldc + j]) == BitConverter.SingleToInt32Bits(_c0![i * Ldc + j]),
                        $"{label}: padding C[{i}, {j}] was written");
        }

        [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_expected), nameof(_scale))]
        private void ComputeReference()
        {
            if (_expected is not null && _scale is not null) return;
            float[] c0 = _c0 ?? throw new InvalidOperationException("run first");
            _expected = new double[M * N];
            _scale = new double[M * N];
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                {
                    double sum = 0, abs = 0;
                    for (int p = 0; p < K; p++)
                    {
                        double prod = (double)(TransA ? A[p * Lda + i] : A[i * Lda + p]) * (TransB ? B[j * Ldb + p] : B[p * Ldb + j]);
                        sum += prod;
                        abs += Math.Abs(prod);
                    }
                    double c = c0[i * Ldc + j];
                    _expected[i * N + j] = Alpha * sum + (Beta == 0f ? 0 : Beta * c);
                    _scale[i * N + j] = Math.Abs(Alpha) * abs + (Beta == 0f ? 0 : Math.Abs(Beta * c));
                }
        }

        private static float[] Fill(Random rng, int length)
        {
            var x = new float[length];
            for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            return x;
        }
    }
}
