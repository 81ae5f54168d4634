// `unravel-bench models`: whole-model throughput of our engine and of PyTorch side by side in one run (DESIGN.md §4
// and §8). PyTorch runs in a persistent worker process (tools/bench/torch_worker.py) started in its best CPU
// configuration: torch.set_num_threads = --threads, OMP_NUM_THREADS likewise, the OpenMP build of OpenBLAS, and glibc
// malloc told to keep freed memory. Each workload is warmed up on both sides, then measured in interleaved pairs
// (ours, torch, ours, torch, ...) so host noise hits both alike; the table gives median items/s of each side and the
// median of the per-pair ratios ours / torch. Models are random-initialised (WeightSource.Initialize), in eval mode.

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Unravel.Models;
using Unravel.Models.Text;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using static Unravel.Bench.BenchReport;

namespace Unravel.Bench;

/// <summary>Measures and renders the model benchmark.</summary>
internal static class ModelsBench
{
    /// <summary>Shortest time one sample runs; short workloads repeat the run inside a sample to reach it.</summary>
    private static readonly TimeSpan MinSampleTime = TimeSpan.FromMilliseconds(300);

    /// <summary>GPT-2 sequence length of the token workload.</summary>
    private const int Gpt2Seq = 128;

    /// <summary>What one workload runs.</summary>
    internal enum Mode { Forward, InputGradient }

    /// <summary>One benchmarked workload: a registry model, a mode and a batch.</summary>
    internal sealed record Workload(string Name, string Model, Mode Mode, int Batch)
    {
        /// <summary>Images per run, or tokens per run for GPT-2.</summary>
        public int Items => Model == "gpt2" ? Batch * Gpt2Seq : Batch;

        public string Unit => Model == "gpt2" ? "tokens/s" : "images/s";

        /// <summary>The worker's workload name.</summary>
        public string TorchName => Model == "gpt2" ? "gpt2_fwd" : Mode == Mode.Forward ? $"{Model}_fwd" : $"{Model}_fwd_grad";
    }

    /// <summary>Every workload, in table order.</summary>
    internal static IReadOnlyList<Workload> AllWorkloads { get; } =
    [
        new("resnet18_fwd_b1", "resnet18", Mode.Forward, 1),
        new("resnet18_fwd_b16", "resnet18", Mode.Forward, 16),
        new("resnet50_fwd_b1", "resnet50", Mode.Forward, 1),
        new("resnet50_fwd_b16", "resnet50", Mode.Forward, 16),
        new("resnet18_grad_b16", "resnet18", Mode.InputGradient, 16),
        new("resnet50_grad_b16", "resnet50", Mode.InputGradient, 16),
        new("gpt2_fwd_8x128", "gpt2", Mode.Forward, 8),
        new("vit_b_16_fwd_b1", "vit_b_16", Mode.Forward, 1),
    ];

    /// <summary>Parsed command-line options.</summary>
    internal sealed record Options(IReadOnlyList<int> Threads, int Repeats, bool Json, bool NoTorch, IReadOnlyList<Workload> Workloads,
        bool Profile, string TorchWaitPolicy = "auto", bool EagerWeights = false, bool TorchOptimized = false);

    /// <summary>OMP_WAIT_POLICY for the PyTorch worker: "active" or "passive" as given, or for "auto" passive when other
    /// work keeps more than half a core busy just before the benchmark starts (<paramref name="busyCores"/>, sampled
    /// while we are idle; spinning OpenMP threads then wait for each other's time slices) and active otherwise.</summary>
    /// <remarks>The 1-minute load average served before; it still counted our own previous benchmark and chose passive
    /// after one run on a quiet host.</remarks>
    /// <exception cref="UnravelException">The value is none of auto, active, passive.</exception>
    public static string ResolveWaitPolicy(string value, double? busyCores) => value.ToLowerInvariant() switch
    {
        "active" => "active",
        "passive" => "passive",
        "auto" => busyCores is > 0.5 ? "passive" : "active",
        _ => throw new UnravelException($"--torch-wait-policy: '{value}' is not a policy.", "Use auto, active or passive."),
    };

    /// <summary>Medians over the interleaved pairs of one workload at one thread count; torch fields are null without torch.</summary>
    /// <remarks><see cref="CpuRatio"/> compares process CPU time per item instead (torch's / ours), which a busy host
    /// disturbs less than wall time; at one thread it is the steadier figure, at more it also charges idle spinning.</remarks>
    internal sealed record Row(Workload Workload, int Threads, int Pairs, int OursRunsPerSample, int TorchRunsPerSample,
        double Ours, double? Torch, double? Ratio, double? RatioMin, double? RatioMax, double? CpuRatio);

    /// <summary>Parses "1,2" into thread counts.</summary>
    /// <exception cref="UnravelException">An item is not a positive integer.</exception>
    public static IReadOnlyList<int> ParseThreads(string text)
    {
        var threads = new List<int>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int t) || t < 1)
                throw new UnravelException($"--threads: '{item}' is not a thread count.", "Use e.g. --threads 2 or --threads 1,2.");
            if (!threads.Contains(t)) threads.Add(t);
        }
        if (threads.Count == 0) throw new UnravelException("--threads: no thread count given.");
        return threads;
    }

    /// <summary>Selects workloads by name (or name prefix, e.g. "resnet18"); "all" or empty selects every one.</summary>
    /// <exception cref="UnravelException">An item matches no workload.</exception>
    public static IReadOnlyList<Workload> ParseWorkloads(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "all") return AllWorkloads;
        var chosen = new List<Workload>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // An exact name selects that workload alone ("resnet18_fwd_b1" is also a prefix of "resnet18_fwd_b16").
            Workload[] matches = AllWorkloads.Where(w => w.Name.Equals(item, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (matches.Length == 0) matches = AllWorkloads.Where(w => w.Name.StartsWith(item, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (matches.Length == 0)
                throw new UnravelException($"--workloads: '{item}' matches no workload.",
                    $"Known: {string.Join(", ", AllWorkloads.Select(w => w.Name))}.");
            foreach (Workload w in matches)
                if (!chosen.Contains(w)) chosen.Add(w);
        }
        return AllWorkloads.Where(chosen.Contains).ToArray();
    }

    /// <summary>Runs the benchmark and writes a table (or JSON) to <paramref name="output"/>.</summary>
    public static int Run(Options options, TextWriter output)
    {
        if (options.Repeats < 1) throw new UnravelException($"--repeats: {options.Repeats} is not ≥ 1.");
        string? torchNote = options.NoTorch ? "PyTorch skipped (--no-torch)." : TorchWorker.Unavailable();
        string loadBefore = LoadAverage();
        double? busy = options.TorchWaitPolicy.Equals("auto", StringComparison.OrdinalIgnoreCase) ? BusyCores() : null;
        string waitPolicy = ResolveWaitPolicy(options.TorchWaitPolicy, busy);
        int savedThreads = Parallelism.Threads;
        var rows = new List<Row>();
        using var models = new OurModels(options.EagerWeights);
        if (!options.Json)
        {
            output.WriteLine($"Models, ours vs PyTorch CPU, interleaved pairs ({options.Repeats} per workload), medians; random-init weights, eval mode");
            output.WriteLine((options.EagerWeights
                ? "ours: weights packed on every call (--eager-weights); "
                : "ours: weights frozen (convolution weights packed once, as collect and pure do); ")
                + (options.TorchOptimized
                    ? "PyTorch: forward workloads through torch.jit.optimize_for_inference(torch.jit.trace(model)), gradients eager"
                    : "PyTorch: eager torch.nn modules"));
            output.WriteLine($"CPU: {CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores; load average {loadBefore}" +
                (busy is double b ? $"; {b.ToString("F2", CultureInfo.InvariantCulture)} cores busy with other work at the start" : ""));
            if (torchNote is not null) output.WriteLine($"note: {torchNote} Timing our engine only.");
            else output.WriteLine($"PyTorch worker: torch threads = OMP_NUM_THREADS = --threads, OpenMP OpenBLAS, glibc malloc keeping freed memory, OMP_WAIT_POLICY={waitPolicy}");
            output.WriteLine();
            output.WriteLine($"{"workload",-20} {"thr",3} {"unit",-9} {"ours",9} {"torch",9} {"ratio",7} {"range",11} {"cpu-ratio",9}");
        }
        try
        {
            foreach (int threads in options.Threads)
            {
                Parallelism.Threads = threads;
                using TorchWorker? torch = torchNote is null ? TorchWorker.Start(threads, waitPolicy, options.TorchOptimized) : null;
                foreach (Workload w in options.Workloads)
                {
                    Row row = Measure(w, threads, options.Repeats, models, torch);
                    rows.Add(row);
                    if (!options.Json) output.WriteLine(FormatRow(row));
                }
            }
            if (options.Profile)
            {
                Parallelism.Threads = options.Threads[^1];
                foreach (Workload w in options.Workloads) ModelsProfile.Write(w, models, output);
            }
        }
        finally
        {
            Parallelism.Threads = savedThreads;
        }
        string loadAfter = LoadAverage();
        if (options.Json)
        {
            WriteJson(options, rows, torchNote, waitPolicy, loadBefore, loadAfter, output);
        }
        else
        {
            output.WriteLine($"load average after: {loadAfter}");
            output.WriteLine("ratio = median over pairs of ours/torch items per second (> 1: ours faster); range = min-max of the pair ratios;");
            output.WriteLine("cpu-ratio = the same from process CPU time per item (steadier on a busy host; at 2+ threads it also counts spinning).");
            output.WriteLine("On a shared host 2-thread figures swing by ±30 % between runs; 1-thread figures are steadier.");
        }
        return ExitCodes.Success;
    }

    private static Row Measure(Workload w, int threads, int pairs, OurModels models, TorchWorker? torch)
    {
        Action ours = models.Run(w);

        // Warm-up: JIT, first-touch pages, pooled buffers; the last run of each side sizes its samples.
        double oursOnce = 0, torchOnce = 0;
        for (int i = 0; i < 2; i++)
        {
            oursOnce = Time(ours, 1).Wall;
            if (torch is not null) torchOnce = torch.Run(w, 1).Wall;
        }
        int oursRuns = RunsPerSample(oursOnce), torchRuns = torch is null ? 0 : RunsPerSample(torchOnce);

        var oursRate = new double[pairs];
        var torchRate = new double[torch is null ? 0 : pairs];
        var ratios = new double[torchRate.Length];
        var cpuRatios = new double[torchRate.Length];
        for (int r = 0; r < pairs; r++)
        {
            (double wall, double cpu) = Time(ours, oursRuns);
            oursRate[r] = w.Items * oursRuns / wall;
            if (torch is null) continue;
            (double torchWall, double torchCpu) = torch.Run(w, torchRuns);
            torchRate[r] = w.Items * torchRuns / torchWall;
            ratios[r] = oursRate[r] / torchRate[r];
            cpuRatios[r] = torchCpu / torchRuns / (cpu / oursRuns);
        }
        return torch is null
            ? new Row(w, threads, pairs, oursRuns, 0, Median(oursRate), null, null, null, null, null)
            : new Row(w, threads, pairs, oursRuns, torchRuns, Median(oursRate), Median(torchRate), Median(ratios), ratios.Min(), ratios.Max(),
                Median(cpuRatios));
    }

    internal static int RunsPerSample(double once) =>
        (int)Math.Clamp(Math.Ceiling(MinSampleTime.TotalSeconds / Math.Max(once, 1e-6)), 1, 1000);

    /// <summary>Wall and process CPU seconds of <paramref name="runs"/> runs.</summary>
    internal static (double Wall, double Cpu) Time(Action run, int runs)
    {
        double cpu = ProcessCounters.CpuNow();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < runs; i++) run();
        return (Stopwatch.GetElapsedTime(start).TotalSeconds, ProcessCounters.CpuNow() - cpu);
    }

    /// <summary>Our models (built once each) and the inputs of each workload. Unless <paramref name="eager"/>, each model's
    /// weights are frozen while this lives (<see cref="Module.FreezeWeights"/>), as the pipeline's inference runs are, so
    /// convolutions pack their weights once instead of on every call.</summary>
    internal sealed class OurModels(bool eager = false) : IDisposable
    {
        private readonly Dictionary<string, RootModule> _models = [];
        private readonly List<FrozenWeights> _frozen = [];

        public void Dispose()
        {
            foreach (FrozenWeights f in _frozen) f.Dispose();
            _frozen.Clear();
        }

        /// <summary>One run of <paramref name="w"/>: a forward, or a forward and the input gradient of the summed class-0 logit.</summary>
        /// <param name="w">The workload.</param>
        /// <param name="rule">Passed to <see cref="Tape.Backward"/> (the profiler wraps each node's backward).</param>
        public Action Run(Workload w, Func<Node, BackwardFn?>? rule = null)
        {
            RootModule model = Get(w.Model);
            if (model is Gpt2 gpt2)
            {
                var rng = new Random(1);
                int[] tokens = new int[w.Batch * Gpt2Seq];
                for (int i = 0; i < tokens.Length; i++) tokens[i] = rng.Next(gpt2.VocabSize);
                return () => gpt2.Forward(tokens, w.Batch, Gpt2Seq);
            }
            var classifier = (IImageClassifier)model;
            Tensor images = Tensor.RandomNormal(new Random(1), w.Batch, 3, 224, 224);
            if (w.Mode == Mode.Forward) return () => classifier.Forward(images);
            Tensor seed = Tensor.Zeros(w.Batch, classifier.Classes);
            for (int n = 0; n < w.Batch; n++) seed[n, 0] = 1f;
            return () =>
            {
                // Only the input's gradient is wanted, as in PyTorch (which keeps no intermediate gradients either).
                using var tape = new Tape { KeepIntermediateGradients = false, FuseInference = true };
                Tensor x = tape.Watch(images);
                Tensor logits = classifier.Forward(x);
                GradStore grads = tape.Backward(logits, seed, rule: rule);
                _ = grads[x] ?? throw new InvalidOperationException("bench models: no input gradient was produced.");
            };
        }

        public RootModule Get(string name)
        {
            if (!_models.TryGetValue(name, out RootModule? m))
            {
                m = ModelRegistry.Get(name).Create(WeightSource.Initialize(0));
                m.Eval();
                if (!eager) _frozen.Add(m.FreezeWeights());
                _models[name] = m;
            }
            return m;
        }
    }

    private static string FormatRow(Row r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Workload.Name,-20} {r.Threads,3} {r.Workload.Unit,-9} {r.Ours,9:F1} " +
        $"{(r.Torch is double t ? t.ToString("F1", CultureInfo.InvariantCulture) : "-"),9} " +
        $"{(r.Ratio is double q ? q.ToString("F2", CultureInfo.InvariantCulture) : "-"),7} " +
        $"{(r.RatioMin is double lo && r.RatioMax is double hi ? $"{lo:F2}-{hi:F2}" : "-"),11} " +
        $"{(r.CpuRatio is double cr ? cr.ToString("F2", CultureInfo.InvariantCulture) : "-"),9}");

    private static void WriteJson(Options options, List<Row> rows, string? torchNote, string waitPolicy, string loadBefore, string loadAfter,
        TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            BenchReport.WriteHeader(w, "models");
            w.WriteString("loadAverageBefore", loadBefore);
            w.WriteString("loadAverageAfter", loadAfter);
            w.WriteEndObject();
            w.WriteStartArray("threads");
            foreach (int t in options.Threads) w.WriteNumberValue(t);
            w.WriteEndArray();
            w.WriteNumber("pairs", options.Repeats);
            w.WriteBoolean("frozenWeights", !options.EagerWeights);
            w.WriteBoolean("torchOptimizedForInference", options.TorchOptimized);
            w.WriteBoolean("torchAvailable", torchNote is null);
            if (torchNote is not null) w.WriteString("torchNote", torchNote);
            else w.WriteString("torchOmpWaitPolicy", waitPolicy);
            w.WriteStartArray("results");
            foreach (Row r in rows)
            {
                w.WriteStartObject();
                w.WriteString("workload", r.Workload.Name);
                w.WriteString("model", r.Workload.Model);
                w.WriteString("mode", r.Workload.Mode == Mode.Forward ? "forward" : "forward+input-gradient");
                w.WriteNumber("batch", r.Workload.Batch);
                if (r.Workload.Model == "gpt2") w.WriteNumber("seq", Gpt2Seq);
                w.WriteNumber("threads", r.Threads);
                w.WriteString("unit", r.Workload.Unit);
                w.WriteNumber("oursRunsPerSample", r.OursRunsPerSample);
                w.WriteNumber("torchRunsPerSample", r.TorchRunsPerSample);
                w.WriteNumber("ours", Math.Round(r.Ours, 3));
                WriteNullable(w, "torch", r.Torch, 3);
                WriteNullable(w, "ratio", r.Ratio, 4);
                WriteNullable(w, "ratioMin", r.RatioMin, 4);
                WriteNullable(w, "ratioMax", r.RatioMax, 4);
                WriteNullable(w, "cpuRatio", r.CpuRatio, 4);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>Cores kept busy by anything else (steal included) over half a second of /proc/stat, or null off Linux.</summary>
    private static double? BusyCores()
    {
        static long[]? Sample()
        {
            try
            {
                string[] f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return f.Skip(1).Take(8).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray(); // user … steal
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                return null;
            }
        }
        if (!File.Exists("/proc/stat") || Sample() is not { } a) return null;
        Thread.Sleep(500);
        if (Sample() is not { } b) return null;
        double total = b.Sum() - a.Sum(), idle = b[3] + b[4] - a[3] - a[4];
        return total <= 0 ? null : (1 - idle / total) * Environment.ProcessorCount;
    }

    /// <summary>The 1, 5 and 15 minute load averages from /proc/loadavg, or "unknown".</summary>
    internal static string LoadAverage()
    {
        try
        {
            if (File.Exists("/proc/loadavg")) return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
        }
        return "unknown";
    }
}
