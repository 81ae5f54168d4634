// `unravel-bench gemm`: the managed GEMM and OpenBLAS timed side by side in one process. Runs are interleaved
// (managed, OpenBLAS, managed, OpenBLAS, ...) after a warm-up, so host noise hits both alike; the table reports the
// median GFLOP/s of each backend and the median of the per-pair ratios managed / OpenBLAS (DESIGN.md §4).

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Unravel.Tensors;
using Unravel.Tensors.Kernels;
using static Unravel.Bench.BenchReport;

namespace Unravel.Bench;

/// <summary>Measures and renders the GEMM benchmark.</summary>
internal static class GemmBench
{
    /// <summary>Shortest time one sample runs; small shapes repeat the call inside a sample to reach it.</summary>
    private static readonly TimeSpan MinSampleTime = TimeSpan.FromMilliseconds(40);

    /// <summary>One problem C[M, N] = A[M, K] · B[K, N].</summary>
    internal sealed record Shape(string Name, int M, int N, int K)
    {
        public double Flops => 2.0 * M * N * K;
    }

    /// <summary>Parsed command-line options.</summary>
    internal sealed record Options(IReadOnlyList<Shape> Shapes, int Threads, int Repeats, string Kernel, bool Json);

    /// <summary>Medians over the interleaved pairs of one shape; OpenBLAS fields are null when it is absent.</summary>
    internal sealed record Row(Shape Shape, int Pairs, int CallsPerSample, double ManagedGflops, double? OpenBlasGflops,
        double? Ratio, double? RatioMin, double? RatioMax);

    /// <summary>Parses "256,512" (squares) and "MxNxK" items.</summary>
    /// <exception cref="UnravelException">An item is neither a positive integer nor MxNxK.</exception>
    public static IReadOnlyList<Shape> ParseSizes(string text)
    {
        var shapes = new List<Shape>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = item.Split('x', 'X');
            int[] dims = new int[parts.Length];
            bool ok = parts.Length is 1 or 3;
            for (int i = 0; ok && i < parts.Length; i++)
                ok = int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]) && dims[i] > 0;
            if (!ok)
                throw new UnravelException($"--sizes: '{item}' is not a size.", "Use square sizes such as 256,512 or MxNxK such as 1024x3072x768.");
            shapes.Add(dims.Length == 1 ? new Shape($"square_{dims[0]}", dims[0], dims[0], dims[0])
                                        : new Shape($"{dims[0]}x{dims[1]}x{dims[2]}", dims[0], dims[1], dims[2]));
        }
        if (shapes.Count == 0) throw new UnravelException("--sizes: no sizes given.");
        return shapes;
    }

    /// <summary>Runs the benchmark and writes a table (or JSON) to <paramref name="output"/>.</summary>
    public static int Run(Options options, TextWriter output)
    {
        if (options.Threads < 1) throw new UnravelException($"--threads: {options.Threads} is not ≥ 1.");
        if (options.Repeats < 1) throw new UnravelException($"--repeats: {options.Repeats} is not ≥ 1.");
        ManagedGemm.KernelKind kernel = ParseKernel(options.Kernel);

        int savedThreads = Parallelism.Threads;
        GemmBackend savedBackend;
        try
        {
            savedBackend = Gemm.Backend;
        }
        catch (InvalidOperationException e)
        {
            // A bad UNRAVEL_BLAS is the user's to fix.
            throw new UnravelException(e.Message);
        }
        ManagedGemm.KernelKind savedKernel = ManagedGemm.Kernel;
        var rows = new List<Row>();
        try
        {
            Parallelism.Threads = options.Threads;
            ManagedGemm.Kernel = kernel;
            if (!options.Json)
            {
                output.WriteLine($"GEMM C = A·B (fp32, row-major), {options.Threads} thread(s), managed kernel {kernel}, {options.Repeats} interleaved pairs");
                output.WriteLine($"CPU: {CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores");
                if (!Gemm.IsOpenBlasAvailable)
                    output.WriteLine("note: OpenBLAS not found (apt-get install libopenblas0-pthread); timing the managed backend only.");
                output.WriteLine();
                output.WriteLine($"{"shape",-22} {"M",6} {"N",6} {"K",6} {"managed",10} {"openblas",10} {"ratio",7} {"ratio range",13}");
                output.WriteLine($"{"",-22} {"",6} {"",6} {"",6} {"GFLOP/s",10} {"GFLOP/s",10} {"m/o",7} {"min-max",13}");
            }
            foreach (Shape shape in options.Shapes)
            {
                Row row = Measure(shape, options.Repeats, Gemm.IsOpenBlasAvailable);
                rows.Add(row);
                if (!options.Json) output.WriteLine(FormatRow(row));
            }
        }
        finally
        {
            Parallelism.Threads = savedThreads;
            Gemm.Backend = savedBackend;
            ManagedGemm.Kernel = savedKernel;
        }
        if (options.Json) WriteJson(options, kernel, rows, output);
        else output.WriteLine("ratio = median over pairs of managed/openblas GFLOP/s; the host is shared, so expect ±10-30 % between runs at 2 threads.");
        return ExitCodes.Success;
    }

    private static Row Measure(Shape shape, int pairs, bool withOpenBlas)
    {
        var rng = new Random(42);
        float[] a = RandomArray(rng, shape.M * shape.K), b = RandomArray(rng, shape.K * shape.N), c = new float[shape.M * shape.N];
        void Call(GemmBackend backend)
        {
            Gemm.Backend = backend;
            Gemm.Sgemm(a, b, c, shape.M, shape.N, shape.K);
        }

        // Warm-up: JIT, page faults, packing buffers and OpenBLAS's thread pool; the last call sizes the samples.
        double once = 0;
        for (int i = 0; i < 3; i++)
        {
            if (withOpenBlas) Call(GemmBackend.OpenBlas);
            once = Time(() => Call(GemmBackend.Managed), 1);
        }
        int calls = (int)Math.Clamp(Math.Ceiling(MinSampleTime.TotalSeconds / Math.Max(once, 1e-7)), 1, 100_000);

        var managed = new double[pairs];
        var openBlas = new double[withOpenBlas ? pairs : 0];
        var ratios = new double[openBlas.Length];
        for (int r = 0; r < pairs; r++)
        {
            managed[r] = shape.Flops * calls / Time(() => Call(GemmBackend.Managed), calls) / 1e9;
            if (!withOpenBlas) continue;
            openBlas[r] = shape.Flops * calls / Time(() => Call(GemmBackend.OpenBlas), calls) / 1e9;
            ratios[r] = managed[r] / openBlas[r];
        }
        return withOpenBlas
            ? new Row(shape, pairs, calls, Median(managed), Median(openBlas), Median(ratios), ratios.Min(), ratios.Max())
            : new Row(shape, pairs, calls, Median(managed), null, null, null, null);
    }

    private static double Time(Action call, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) call();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static float[] RandomArray(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static ManagedGemm.KernelKind ParseKernel(string name)
    {
        if (name.Equals("auto", StringComparison.OrdinalIgnoreCase)) return ManagedGemm.BestKernel();
        if (!Enum.TryParse(name, ignoreCase: true, out ManagedGemm.KernelKind kind) || !Enum.IsDefined(kind))
            throw new UnravelException($"--kernel: '{name}' is not a kernel.", "Use auto, avx512, avx2 or portable.");
        if (!ManagedGemm.IsSupported(kind))
            throw new UnravelException($"--kernel: this CPU cannot run the {kind} kernel.");
        return kind;
    }

    private static string FormatRow(Row r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Shape.Name,-22} {r.Shape.M,6} {r.Shape.N,6} {r.Shape.K,6} {r.ManagedGflops,10:F1} " +
        $"{(r.OpenBlasGflops is double o ? o.ToString("F1", CultureInfo.InvariantCulture) : "-"),10} " +
        $"{(r.Ratio is double q ? q.ToString("F3", CultureInfo.InvariantCulture) : "-"),7} " +
        $"{(r.RatioMin is double lo && r.RatioMax is double hi ? $"{lo:F2}-{hi:F2}" : "-"),13}");

    private static void WriteJson(Options options, ManagedGemm.KernelKind kernel, List<Row> rows, TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            BenchReport.WriteHeader(w, "gemm");
            w.WriteEndObject();
            w.WriteNumber("threads", options.Threads);
            w.WriteNumber("pairs", options.Repeats);
            w.WriteString("managedKernel", kernel.ToString());
            w.WriteBoolean("openBlasAvailable", Gemm.IsOpenBlasAvailable);
            w.WriteStartArray("results");
            foreach (Row r in rows)
            {
                w.WriteStartObject();
                w.WriteString("shape", r.Shape.Name);
                w.WriteNumber("m", r.Shape.M);
                w.WriteNumber("n", r.Shape.N);
                w.WriteNumber("k", r.Shape.K);
                w.WriteNumber("flops", r.Shape.Flops);
                w.WriteNumber("callsPerSample", r.CallsPerSample);
                w.WriteNumber("managedGflops", Math.Round(r.ManagedGflops, 2));
                WriteNullable(w, "openBlasGflops", r.OpenBlasGflops, 2);
                WriteNullable(w, "ratio", r.Ratio, 4);
                WriteNullable(w, "ratioMin", r.RatioMin, 4);
                WriteNullable(w, "ratioMax", r.RatioMax, 4);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
