// `unravel-bench models --kernels`: where each engine's forward time goes, op by op, side by side on the same weights
// and input. Ours: each op's wall time on the calling thread (KernelTimer; the outermost op only, so a fused
// conv + BN + add + ReLU is one conv), in one arena scope per batch as `models` times it. ONNX Runtime: its profiler's
// per-node kernel times (SessionOptions.EnableProfiling; warm-up runs dropped by their model_run events). Nodes are
// grouped into kinds both engines share (ONNX Runtime's fused and NCHWc nodes mapped to ours; its layout reorders count
// as copies), and convolutions are matched one to one by input and weight shape, with GFLOP/s from the output shape.
// Both profilers add a little time per op; the whole-batch lines give each engine's wall time with its profiler on.
// Reference: https://onnxruntime.ai/docs/performance/tune-performance/profiling-tools.html

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using static Unravel.Bench.ModelsBench;

namespace Unravel.Bench;

internal static class ModelsKernels
{
    /// <summary>Runs of each engine before the measured ones (JIT, first-touch pages, packed weights).</summary>
    private const int WarmUp = 2;

    /// <summary>One op kind or one shape of it, per batch: calls, milliseconds and (convolutions) the output shape.</summary>
    internal sealed record Entry(string Kind, string Shapes, double Calls, double Ms, long[]? Output);

    /// <summary>Profiles <paramref name="runs"/> batches of <paramref name="w"/> in each engine and writes the tables.</summary>
    public static void Write(Workload w, int threads, int runs, OurModels models, Export? export, string workDir, TextWriter output)
    {
        (IReadOnlyList<Entry> ours, double oursWall) = ProfileOurs(w, runs, models);
        IReadOnlyList<Entry> ort = [];
        double ortWall = double.NaN;
        if (export is not null)
        {
            Directory.CreateDirectory(workDir);
            string prefix = Path.Combine(workDir, $"ort-profile-{w.Name}-{threads}");
            using var session = new OrtModel(export.Onnx, w.Model, threads, prefix);
            Action run = BindOrt(session, w);
            for (int i = 0; i < WarmUp + runs; i++) run();
            string trace = session.EndProfiling();
            try { (ort, ortWall) = ReadOrtProfile(trace, WarmUp); }
            finally { File.Delete(trace); }
        }
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"kernels {w.Name}, {threads} thread(s): ms per batch, mean of {runs} batches after {WarmUp} warm-up; ratio = ort ms / ours ms (> 1: ours faster); load average {LoadAverage()}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  whole batch with the profilers on: ours {oursWall:F2} ms, ort {(export is null ? "-" : ortWall.ToString("F2", CultureInfo.InvariantCulture))} ms"));
        output.WriteLine($"  {"kind",-16} {"ours ms",9} {"ort ms",9} {"ratio",6} {"ours calls",10} {"ort calls",9}");
        foreach (string kind in ours.Select(e => e.Kind).Union(ort.Select(e => e.Kind)).OrderByDescending(k => Sum(ours, k) + Sum(ort, k)))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {kind,-16} {Sum(ours, kind),9:F2} {Sum(ort, kind),9:F2} {Ratio(Sum(ort, kind), Sum(ours, kind)),6} {Calls(ours, kind),10:F0} {Calls(ort, kind),9:F0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {"all kernels",-16} {ours.Sum(e => e.Ms),9:F2} {ort.Sum(e => e.Ms),9:F2} {Ratio(ort.Sum(e => e.Ms), ours.Sum(e => e.Ms)),6}"));
        WriteConvolutions(ours, ort, output);
        WriteMatMuls(ours, ort, output);
    }

    /// <summary>The matrix products grouped by (M, N, K), largest total first, with GFLOP/s: ours are Linear (x [.., K] and
    /// W [N, K]) and MatMul, ONNX Runtime's MatMul / Gemm / FusedMatMul ([.., K] times [K, N], or [N, K] transposed; from
    /// A and the output where the trace omits a constant weight).</summary>
    private static void WriteMatMuls(IReadOnlyList<Entry> ours, IReadOnlyList<Entry> ort, TextWriter output)
    {
        Dictionary<(long M, long N, long K), (double Calls, double Ms)> Group(IReadOnlyList<Entry> entries) => entries
            .Where(e => e.Kind == "matmul")
            .Select(e => (Mnk: Mnk(e.Shapes, e.Output), e.Calls, e.Ms))
            .Where(e => e.Mnk is not null)
            .GroupBy(e => e.Mnk!.Value)
            .ToDictionary(g => g.Key, g => (g.Sum(e => e.Calls), g.Sum(e => e.Ms)));
        var mine = Group(ours);
        var theirs = Group(ort);
        if (mine.Count == 0 && theirs.Count == 0) return;
        output.WriteLine("  matrix products by (M, N, K), operands' batch dimensions folded into M (GFLOP/s = calls · 2·M·N·K / time):");
        output.WriteLine($"  {"M x N x K",-22} {"calls",5} {"ours ms",8} {"ort ms",8} {"ratio",6} {"ours GF/s",9} {"ort GF/s",9}");
        foreach (var key in mine.Keys.Union(theirs.Keys).OrderByDescending(k => (mine.TryGetValue(k, out var a) ? a.Ms : 0) + (theirs.TryGetValue(k, out var b) ? b.Ms : 0)))
        {
            (double Calls, double Ms)? a = mine.TryGetValue(key, out var va) ? va : null, b = theirs.TryGetValue(key, out var vb) ? vb : null;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {$"{key.M}x{key.N}x{key.K}",-22} {a?.Calls ?? b!.Value.Calls,5:F0} ") +
                Columns(a?.Ms, a?.Calls, b?.Ms, b?.Calls, 2.0 * key.M * key.N * key.K / 1e9));
        }
    }

    /// <summary>(M, N, K) of a product from its operand shapes "[..] [..]" and, if given, its output shape: A [.., K] with
    /// M the product of its other dimensions; B [K, N] when its first dimension is K, else [N, K] (a Linear weight, or
    /// Gemm with transB). Where B is absent or batched, N comes from the output [.., N], whose other dimensions must
    /// multiply to M: ONNX Runtime's trace lists no shape for a constant (prepacked) weight, so its MatMul and Gemm nodes
    /// show A (and a bias) only, and a batched product counts as one of M = batch · rows (the same multiply-adds). Null
    /// when neither gives a single product.</summary>
    internal static (long M, long N, long K)? Mnk(string shapes, long[]? output = null)
    {
        string[] parts = shapes.Split(' ');
        long[] a = Dims(parts[0]);
        if (a.Length < 2) return null;
        long k = a[^1], m = Product(a[..^1]);
        if (parts.Length > 1 && Dims(parts[1]) is [long b0, long b1] && (b0 == k || b1 == k)) return (m, b0 == k ? b1 : b0, k);
        if (output is null || output.Length != a.Length || Product(output[..^1]) != m) return null;
        return (m, output[^1], k);
    }

    private static long[] Dims(string shape) => shape.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();

    private static long Product(IEnumerable<long> dims) => dims.Aggregate(1L, (p, d) => p * d);

    /// <summary>The convolutions matched by (input, weight) shape, largest total first; GFLOP/s where the output is known.</summary>
    private static void WriteConvolutions(IReadOnlyList<Entry> ours, IReadOnlyList<Entry> ort, TextWriter output)
    {
        var mine = ours.Where(e => e.Kind == "conv").ToDictionary(e => e.Shapes);
        var theirs = ort.Where(e => e.Kind == "conv").GroupBy(e => e.Shapes).ToDictionary(g => g.Key, g => g.ToArray());
        if (mine.Count == 0 && theirs.Count == 0) return;
        output.WriteLine($"  convolutions by input and weight shape (ort nodes of one shape summed; GFLOP/s = calls · 2·|output|·C/groups·KH·KW / time):");
        output.WriteLine($"  {"input",-18} {"weight",-18} {"calls",5} {"ours ms",8} {"ort ms",8} {"ratio",6} {"ours GF/s",9} {"ort GF/s",9}");
        foreach (string key in mine.Keys.Union(theirs.Keys).OrderByDescending(k => (mine.GetValueOrDefault(k)?.Ms ?? 0) + (theirs.GetValueOrDefault(k)?.Sum(e => e.Ms) ?? 0)))
        {
            Entry? a = mine.GetValueOrDefault(key);
            Entry[]? b = theirs.GetValueOrDefault(key);
            double? ortMs = b?.Sum(e => e.Ms);
            long[]? outShape = b?.Select(e => e.Output).FirstOrDefault(o => o is not null);
            double? gflopPerCall = outShape is null ? null : Flops(key, outShape) / 1e9;
            string[] parts = key.Split(' ');
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {parts[0],-18} {(parts.Length > 1 ? parts[1] : ""),-18} {a?.Calls ?? b!.Sum(e => e.Calls),5:F0} ") +
                Columns(a?.Ms, a?.Calls, ortMs, b?.Sum(e => e.Calls), gflopPerCall));
        }
    }

    private static (IReadOnlyList<Entry> Entries, double WallMs) ProfileOurs(Workload w, int runs, OurModels models)
    {
        var arena = new TensorArena();
        Action pass = models.Run(w);
        for (int i = 0; i < WarmUp; i++)
            using (arena.Begin()) pass();
        KernelTimer.Start();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < runs; i++)
            using (arena.Begin()) pass();
        double wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds / runs;
        var entries = KernelTimer.Stop()
            .Select(e => new Entry(e.Kind, e.Shapes.Replace(", ", ",", StringComparison.Ordinal), (double)e.Calls / runs, e.Ms / runs, null))
            .ToArray();
        return (entries, wall);
    }

    /// <summary>Reads ONNX Runtime's trace: the node kernel times of the runs after the first <paramref name="warmUp"/>,
    /// per batch, and the mean model_run time of those runs.</summary>
    internal static (IReadOnlyList<Entry> Entries, double WallMs) ReadOrtProfile(string path, int warmUp)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        var runs = new List<(long Ts, long Dur)>();
        var nodes = new List<(long Ts, string Kind, string Shapes, long Dur, long[]? Output)>();
        foreach (JsonElement e in doc.RootElement.EnumerateArray())
        {
            string cat = e.GetProperty("cat").GetString() ?? "", name = e.GetProperty("name").GetString() ?? "";
            long ts = e.GetProperty("ts").GetInt64(), dur = e.GetProperty("dur").GetInt64();
            if (cat == "Session" && name == "model_run") runs.Add((ts, dur));
            else if (cat == "Node" && name.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                JsonElement args = e.GetProperty("args");
                string op = args.GetProperty("op_name").GetString() ?? "";
                long[][] inputs = Shapes(args, "input_type_shape"), outputs = Shapes(args, "output_type_shape");
                string shapes = string.Join(" ", inputs.Take(2).Select(s => "[" + string.Join(",", s) + "]"));
                nodes.Add((ts, KindOf(op), shapes, dur, outputs.FirstOrDefault()));
            }
        }
        runs.Sort();
        if (runs.Count <= warmUp) throw new InvalidOperationException($"bench kernels: the ONNX Runtime trace {path} holds {runs.Count} runs, not more than {warmUp}.");
        long cutoff = runs[warmUp - 1].Ts + runs[warmUp - 1].Dur;
        int measured = runs.Count - warmUp;
        Entry[] entries = nodes.Where(n => n.Ts >= cutoff)
            .GroupBy(n => (n.Kind, n.Shapes, Output: n.Output is null ? "" : string.Join(",", n.Output)))   // a weight the trace omits shows in the output
            .Select(g => new Entry(g.Key.Kind, g.Key.Shapes, (double)g.Count() / measured, g.Sum(n => n.Dur) / 1e3 / measured, g.First().Output))
            .ToArray();
        return (entries, runs.Skip(warmUp).Average(r => r.Dur) / 1e3);
    }

    /// <summary>The kind of an ONNX Runtime op in our terms.</summary>
    internal static string KindOf(string op) => op switch
    {
        "Conv" or "FusedConv" or "NhwcConv" or "NhwcFusedConv" or "ConvTranspose" => "conv",
        "MaxPool" or "AveragePool" or "GlobalAveragePool" or "GlobalMaxPool" => "pooling",
        "MatMul" or "Gemm" or "FusedMatMul" or "FusedGemm" => "matmul",
        "LayerNormalization" or "SkipLayerNormalization" or "SimplifiedLayerNormalization" => "layer norm",
        "Gelu" or "FastGelu" or "BiasGelu" or "Erf" => "gelu",
        "Attention" or "MultiHeadAttention" or "Softmax" => "attention",
        "Gather" or "EmbedLayerNormalization" => "embedding",
        "ReorderInput" or "ReorderOutput" or "Transpose" => "copy",
        "Add" or "Sub" or "Mul" or "Div" or "Relu" or "Sqrt" or "Pow" or "ReduceMean" or "Where" or "Tanh" or "BatchNormalization" or "Sum" => "elementwise",
        _ => "other",
    };

    private static long[][] Shapes(JsonElement args, string property)
    {
        if (!args.TryGetProperty(property, out JsonElement list) || list.ValueKind != JsonValueKind.Array) return [];
        // [{"float": [1, 3, 224, 224]}, ...]: one property per item, the element type.
        return list.EnumerateArray()
            .Select(item => item.EnumerateObject().Select(p => p.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray()).FirstOrDefault() ?? [])
            .ToArray();
    }

    /// <summary>2 · |output| · (weight dims 1..3): a convolution's floating-point operations.</summary>
    private static double Flops(string key, long[] output)
    {
        string[] parts = key.Split(' ');
        if (parts.Length < 2 || Dims(parts[1]) is not [_, long c, long kh, long kw]) return double.NaN;
        return 2.0 * Product(output) * c * kh * kw;
    }

    private static double Sum(IReadOnlyList<Entry> entries, string kind) => entries.Where(e => e.Kind == kind).Sum(e => e.Ms);

    private static double Calls(IReadOnlyList<Entry> entries, string kind) => entries.Where(e => e.Kind == kind).Sum(e => e.Calls);

    /// <summary>The numeric columns both shape tables share: ours ms, ort ms, their ratio, and each engine's GFLOP/s from
    /// <paramref name="gflopPerCall"/> (null where unknown).</summary>
    private static string Columns(double? oursMs, double? oursCalls, double? ortMs, double? ortCalls, double? gflopPerCall) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Num(oursMs),8} {Num(ortMs),8} {Ratio(ortMs ?? double.NaN, oursMs ?? double.NaN),6} " +
            $"{Num(gflopPerCall * oursCalls / (oursMs / 1e3)),9} {Num(gflopPerCall * ortCalls / (ortMs / 1e3)),9}");

    private static string Ratio(double other, double ours) =>
        other > 0 && ours > 0 ? (other / ours).ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static string Num(double? v) => v is double d && double.IsFinite(d) ? d.ToString("F2", CultureInfo.InvariantCulture) : "-";
}
