// `unravel-bench models`: whole-model throughput of our engine, PyTorch and ONNX Runtime side by side in one run
// (DESIGN.md §4 and §8). PyTorch runs in a persistent worker process (tools/bench/torch_worker.py) started in its best
// CPU configuration: torch.set_num_threads = --threads, OMP_NUM_THREADS likewise, the OpenMP build of OpenBLAS, and glibc
// malloc told to keep freed memory. At the start that worker exports each model it times as ONNX and as a state_dict;
// ONNX Runtime (OrtModel) runs the ONNX file and our engine loads the state_dict, so all three run the same random-init
// weights and a check line compares our logits with ONNX Runtime's. Each workload is warmed up on every engine, then
// measured in interleaved rounds (ours, torch, ort, ours, ...) so host noise hits all alike; the table gives median
// items/s of each engine and the median and min-max of the per-round ratios ours / other (> 1: ours faster), with our
// page faults, GC collections and allocated bytes per batch beside them (BatchCounters). Peak memory is measured
// afterwards with each engine alone in its own process (PeakMemory). ONNX Runtime runs forward workloads only.
// Reference: https://onnxruntime.ai/docs/performance/ (ONNX Runtime's CPU tuning guide).

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
        new("resnet50_fwd_b64", "resnet50", Mode.Forward, 64),
        new("resnet18_grad_b16", "resnet18", Mode.InputGradient, 16),
        new("resnet50_grad_b16", "resnet50", Mode.InputGradient, 16),
        new("gpt2_fwd_8x128", "gpt2", Mode.Forward, 8),
        new("vit_b_16_fwd_b1", "vit_b_16", Mode.Forward, 1),
    ];

    /// <summary>Parsed command-line options.</summary>
    internal sealed record Options(IReadOnlyList<int> Threads, int Repeats, bool Json, bool NoTorch, IReadOnlyList<Workload> Workloads,
        bool Profile, string TorchWaitPolicy = "auto", bool EagerWeights = false, bool TorchOptimized = false, bool NoOrt = false,
        bool PeakMemory = true, bool Kernels = false);

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

    /// <summary>Medians over the interleaved rounds of one workload at one thread count; fields of an engine that did not
    /// run are null.</summary>
    /// <remarks><see cref="CpuRatio"/> compares process CPU time per item instead (torch's / ours), which a busy host
    /// disturbs less than wall time; at one thread it is the steadier figure, at more it also charges idle spinning.
    /// <see cref="PerBatch"/> holds our page faults, collections and allocated bytes per batch (medians).</remarks>
    internal sealed record Row(Workload Workload, int Threads, int Rounds, int OursRuns, int TorchRuns, int OrtRuns,
        double Ours, double? Torch, double? Ort, RatioStats? VsTorch, RatioStats? VsOrt, double? CpuRatio, BatchCounters PerBatch);

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
        string? ortNote = options.NoOrt ? "ONNX Runtime skipped (--no-ort)."
            : torchNote is not null ? "ONNX Runtime skipped: it runs the PyTorch worker's ONNX export." : null;
        string loadBefore = LoadAverage();
        double? busy = options.TorchWaitPolicy.Equals("auto", StringComparison.OrdinalIgnoreCase) ? BusyCores() : null;
        string waitPolicy = ResolveWaitPolicy(options.TorchWaitPolicy, busy);
        int savedThreads = Parallelism.Threads;
        var rows = new List<Row>();
        var peaks = new List<PeakRow>();
        var notes = new List<string>();
        string exportDir = Path.Combine(Path.GetTempPath(), $"unravel-bench-{Environment.ProcessId}");
        try
        {
            Dictionary<string, Export> exports = ortNote is null ? ExportModels(options, waitPolicy, exportDir, notes) : [];
            using var models = new OurModels(exports.ToDictionary(e => e.Key, e => e.Value.Weights), options.EagerWeights);
            if (!options.Json)
            {
                output.WriteLine($"Models: ours vs PyTorch CPU vs ONNX Runtime, interleaved rounds ({options.Repeats} per workload), medians; eval mode");
                output.WriteLine(KernelPlan.Current.Describe());
                output.WriteLine((options.EagerWeights
                    ? "ours: weights packed on every call (--eager-weights); "
                    : "ours: weights frozen (convolution weights packed once, as collect and pure do); ")
                    + (options.TorchOptimized
                        ? "PyTorch: forward workloads through torch.jit.optimize_for_inference(torch.jit.trace(model)), gradients eager"
                        : "PyTorch: eager torch.nn modules"));
                output.WriteLine($"CPU: {CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores; load average {loadBefore}" +
                    (busy is double b ? $"; {b.ToString("F2", CultureInfo.InvariantCulture)} cores busy with other work at the start" : ""));
                if (torchNote is not null) output.WriteLine($"note: {torchNote}");
                else output.WriteLine($"PyTorch worker: torch threads = OMP_NUM_THREADS = --threads, OpenMP OpenBLAS, glibc malloc keeping freed memory, OMP_WAIT_POLICY={waitPolicy}");
                if (ortNote is not null) output.WriteLine($"note: {ortNote}");
                else output.WriteLine($"ONNX Runtime {OrtModel.Version}: CPU execution provider, ORT_ENABLE_ALL, sequential, intra-op threads = --threads; " +
                    "ONNX files and weights exported by the PyTorch worker at start, so all three engines run the same random-init weights");
                foreach (string n in notes) output.WriteLine($"note: {n}");
                if (exports.Count > 0)
                {
                    Parallelism.Threads = options.Threads[0];
                    foreach (string line in CompareWithOrt(options.Workloads, models, exports)) output.WriteLine(line);
                }
                output.WriteLine();
                output.WriteLine(Header);
            }
            int notesShown = notes.Count;
            foreach (int threads in options.Threads)
            {
                Parallelism.Threads = threads;
                using TorchWorker? torch = torchNote is null ? TorchWorker.Start(threads, waitPolicy, options.TorchOptimized) : null;
                var orts = new Dictionary<string, OrtModel>();
                try
                {
                    foreach (Workload w in options.Workloads)
                    {
                        OrtModel? ort = null;
                        if (w.Mode == Mode.Forward && exports.TryGetValue(w.Model, out Export? e) && !orts.TryGetValue(w.Model, out ort))
                            orts[w.Model] = ort = new OrtModel(e.Onnx, w.Model, threads);
                        Row row = Measure(w, threads, options.Repeats, models, torch, ort);
                        rows.Add(row);
                        if (!options.Json) output.WriteLine(FormatRow(row));
                    }
                }
                finally
                {
                    foreach (OrtModel o in orts.Values) o.Dispose();
                }
            }
            string loadAfter = LoadAverage();
            if (!options.Json)
            {
                output.WriteLine($"load average after: {loadAfter}");
                output.WriteLine("Ratios are per round ours/other in items per second (> 1: ours faster): the median, in brackets min-max over rounds.");
                output.WriteLine("faults, GCs and MiB are ours per batch, medians over rounds: minor page faults, garbage collections (in brackets those of gen2), managed MiB allocated.");
                output.WriteLine("On a shared host 2-thread figures swing by ±30 % between runs; 1-thread figures are steadier.");
            }
            if (options.PeakMemory)
            {
                int threads = options.Threads[^1];
                if (!options.Json)
                {
                    output.WriteLine();
                    output.WriteLine($"Peak resident memory, each engine alone in its own process ({PeakMemory.Runs} runs, {threads} thread(s), runtime and weights included), MiB:");
                    output.WriteLine($"{"workload",-18} {"ours",7} {"torch",7} {"ort",7}");
                }
                foreach (Workload w in options.Workloads)
                {
                    PeakRow peak = MeasurePeaks(w, threads, torchNote is null ? waitPolicy : null, exports, notes);
                    peaks.Add(peak);
                    if (!options.Json) output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{w.Name,-18} {Mib(peak.OursKb),7} {Mib(peak.TorchKb),7} {Mib(peak.OrtKb),7}"));
                }
            }
            if (options.Profile)
            {
                Parallelism.Threads = options.Threads[^1];
                foreach (Workload w in options.Workloads) ModelsProfile.Write(w, models, output);
            }
            if (options.Kernels && !options.Json)
                foreach (int threads in options.Threads)
                {
                    Parallelism.Threads = threads;
                    foreach (Workload w in options.Workloads.Where(w => w.Mode == Mode.Forward))
                        ModelsKernels.Write(w, threads, options.Repeats, models, exports.GetValueOrDefault(w.Model), exportDir, output);
                }
            if (options.Json) WriteJson(options, rows, peaks, torchNote, ortNote, notes, waitPolicy, loadBefore, loadAfter, output);
            else foreach (string n in notes.Skip(notesShown)) output.WriteLine($"note: {n}");
        }
        finally
        {
            Parallelism.Threads = savedThreads;
            if (Directory.Exists(exportDir)) Directory.Delete(exportDir, recursive: true);
        }
        return ExitCodes.Success;
    }

    /// <summary>The ONNX file and state_dict the PyTorch worker exported for one model.</summary>
    internal sealed record Export(string Onnx, string Weights);

    /// <summary>Peak resident set of each engine alone on one workload, in kB; null where not measured.</summary>
    internal sealed record PeakRow(Workload Workload, int Threads, long? OursKb, long? TorchKb, long? OrtKb);

    /// <summary>The table header of <see cref="FormatRow"/>.</summary>
    internal static string Header { get; } =
        $"{"workload",-18} {"thr",3} {"unit",-8} {"ours",8} {"torch",8} {"ort",8} {"ours/torch",-17} {"ours/ort",-17} {"faults",7} {"GCs (gen2)",11} {"MiB",6}";

    /// <summary>Every model the workloads use, exported once by a worker at the first thread count.</summary>
    private static Dictionary<string, Export> ExportModels(Options options, string waitPolicy, string dir, List<string> notes)
    {
        var exports = new Dictionary<string, Export>();
        using TorchWorker torch = TorchWorker.Start(options.Threads[0], waitPolicy);
        foreach (string model in options.Workloads.Select(w => w.Model).Distinct())
        {
            try
            {
                (string onnx, string weights) = torch.Export(model, dir);
                exports[model] = new Export(onnx, weights);
            }
            catch (InvalidOperationException e)
            {
                notes.Add($"{model}: no ONNX export, so no ONNX Runtime column and our own random weights ({e.Message})");
            }
        }
        return exports;
    }

    /// <summary>One line per exported model: max |ours - ONNX Runtime| over the logits of one batch-1 input.</summary>
    private static IEnumerable<string> CompareWithOrt(IReadOnlyList<Workload> workloads, OurModels models, Dictionary<string, Export> exports)
    {
        foreach (Workload w in workloads.Where(w => w.Mode == Mode.Forward).DistinctBy(w => w.Model))
        {
            if (!exports.TryGetValue(w.Model, out Export? e)) continue;
            Workload one = w with { Batch = 1 };
            using var ort = new OrtModel(e.Onnx, w.Model, Parallelism.Threads);
            float[] theirs, ours;
            if (models.Get(w.Model) is Gpt2 gpt2)
            {
                int[] tokens = Tokens(one);
                ours = gpt2.Forward(tokens, 1, Gpt2Seq).Data.ToArray();
                theirs = ort.Forward(tokens, [1, Gpt2Seq]);
            }
            else
            {
                Tensor images = Images(one);
                ours = ((IImageClassifier)models.Get(w.Model)).Forward(images).Data.ToArray();
                theirs = ort.Forward(images.Data.ToArray(), [1, 3, 224, 224]);
            }
            double maxDiff = 0, scale = 0;
            for (int i = 0; i < ours.Length; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(ours[i] - theirs[i]));
                scale = Math.Max(scale, Math.Abs(theirs[i]));
            }
            yield return string.Create(CultureInfo.InvariantCulture,
                $"check {w.Model}: logits max |ours - ort| {maxDiff:G3} (max |ort| {scale:G3}, {ours.Length} values, batch 1)");
        }
    }

    private static Row Measure(Workload w, int threads, int rounds, OurModels models, TorchWorker? torch, OrtModel? ort)
    {
        // Our passes run as the pipeline's batches do: one arena scope per batch, buffers reused from the previous one.
        var arena = new TensorArena();
        Action pass = models.Run(w);
        Action ours = () => { using (arena.Begin()) pass(); };
        Action? ortRun = ort is null ? null : BindOrt(ort, w);

        // Warm-up: JIT, first-touch pages, pooled buffers; the last run of each engine sizes its samples.
        double oursOnce = 0, torchOnce = 0, ortOnce = 0;
        for (int i = 0; i < 2; i++)
        {
            oursOnce = Time(ours, 1).Wall;
            if (torch is not null) torchOnce = torch.Run(w, 1).Wall;
            if (ortRun is not null) ortOnce = Time(ortRun, 1).Wall;
        }
        int oursRuns = RunsPerSample(oursOnce);
        int torchRuns = torch is null ? 0 : RunsPerSample(torchOnce), ortRuns = ortRun is null ? 0 : RunsPerSample(ortOnce);

        var oursRate = new double[rounds];
        double[]? torchRate = torch is null ? null : new double[rounds], ortRate = ortRun is null ? null : new double[rounds];
        var cpuRatios = new double[rounds];
        var counters = new BatchCounters[rounds];
        for (int r = 0; r < rounds; r++)
        {
            BatchCounters before = BatchCounters.Now();
            (double wall, double cpu) = Time(ours, oursRuns);
            counters[r] = (BatchCounters.Now() - before).PerRun(oursRuns);
            oursRate[r] = w.Items * oursRuns / wall;
            if (torch is not null)
            {
                (double torchWall, double torchCpu) = torch.Run(w, torchRuns);
                torchRate![r] = w.Items * torchRuns / torchWall;
                cpuRatios[r] = torchCpu / torchRuns / (cpu / oursRuns);
            }
            if (ortRun is not null) ortRate![r] = w.Items * ortRuns / Time(ortRun, ortRuns).Wall;
        }
        return new Row(w, threads, rounds, oursRuns, torchRuns, ortRuns, Median(oursRate),
            torchRate is null ? null : Median(torchRate), ortRate is null ? null : Median(ortRate),
            RatioStats.FromRates(oursRate, torchRate), RatioStats.FromRates(oursRate, ortRate),
            torch is null ? null : Median(cpuRatios), BatchCounters.Median(counters));
    }

    /// <summary>Each engine alone in a fresh process: ours and ONNX Runtime as `peak-memory` children, PyTorch as a new
    /// worker (<paramref name="waitPolicy"/> null: none).</summary>
    private static PeakRow MeasurePeaks(Workload w, int threads, string? waitPolicy, Dictionary<string, Export> exports, List<string> notes)
    {
        Export? e = exports.GetValueOrDefault(w.Model);
        long? ours = PeakMemory.Measure("ours", w, threads, e?.Weights, null, out string? note);
        if (note is not null) notes.Add(note);
        long? ort = null;
        if (w.Mode == Mode.Forward && e is not null)
        {
            ort = PeakMemory.Measure("ort", w, threads, null, e.Onnx, out note);
            if (note is not null) notes.Add(note);
        }
        long? torch = null;
        if (waitPolicy is not null)
        {
            using TorchWorker worker = TorchWorker.Start(threads, waitPolicy);
            worker.Run(w, PeakMemory.Runs);
            torch = worker.PeakRssKb();
        }
        return new PeakRow(w, threads, ours, torch, ort);
    }

    private static string Mib(long? kb) => kb is long k ? (k / 1024.0).ToString("F0", CultureInfo.InvariantCulture) : "-";

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

    /// <summary>The images of an image workload: [batch, 3, 224, 224] standard normal, seed 1 (the same for every engine of ours).</summary>
    internal static Tensor Images(Workload w) => Tensor.RandomNormal(new Random(1), w.Batch, 3, 224, 224);

    /// <summary>The tokens of the GPT-2 workload: batch × 128 ids below the GPT-2 vocabulary size, seed 1.</summary>
    internal static int[] Tokens(Workload w)
    {
        var rng = new Random(1);
        int[] tokens = new int[w.Batch * Gpt2Seq];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = rng.Next(Gpt2Config.Small.Vocab);
        return tokens;
    }

    /// <summary>A forward of <paramref name="w"/> in ONNX Runtime over the same input as ours.</summary>
    internal static Action BindOrt(OrtModel ort, Workload w) => w.Model == "gpt2"
        ? ort.Bind(Tokens(w), [w.Batch, Gpt2Seq])
        : ort.Bind(Images(w).Data.ToArray(), [w.Batch, 3, 224, 224]);

    /// <summary>Our models (built once each) and the inputs of each workload. Each model loads the state_dict the PyTorch
    /// worker exported where <paramref name="weights"/> names one, and random-initialises itself otherwise. Unless
    /// <paramref name="eager"/>, each model's weights are frozen while this lives (<see cref="Module.FreezeWeights"/>), as
    /// the pipeline's inference runs are, so convolutions pack their weights once instead of on every call.</summary>
    internal sealed class OurModels(IReadOnlyDictionary<string, string>? weights = null, bool eager = false) : IDisposable
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
                int[] tokens = Tokens(w);
                return () => gpt2.Forward(tokens, w.Batch, Gpt2Seq);
            }
            var classifier = (IImageClassifier)model;
            Tensor images = Images(w);
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
                m = weights?.GetValueOrDefault(name) is string path
                    ? ModelLoader.Load(path, name)
                    : ModelRegistry.Get(name).Create(WeightSource.Initialize(0));
                m.Eval();
                if (!eager) _frozen.Add(m.FreezeWeights());
                _models[name] = m;
            }
            return m;
        }
    }

    /// <summary>One table line; "-" where an engine did not run.</summary>
    internal static string FormatRow(Row r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Workload.Name,-18} {r.Threads,3} {r.Workload.Unit,-8} {r.Ours,8:F1} {Num(r.Torch),8} {Num(r.Ort),8} " +
        $"{r.VsTorch?.ToString() ?? "-",-17} {r.VsOrt?.ToString() ?? "-",-17} {r.PerBatch.MinorFaults,7:F0} " +
        $"{$"{r.PerBatch.Gen0:0.##} ({r.PerBatch.Gen2:0.##})",11} {r.PerBatch.AllocatedBytes / 1048576.0,6:F0}");

    private static string Num(double? v) => v is double x ? x.ToString("F1", CultureInfo.InvariantCulture) : "-";

    private static void WriteJson(Options options, List<Row> rows, List<PeakRow> peaks, string? torchNote, string? ortNote, List<string> notes,
        string waitPolicy, string loadBefore, string loadAfter, TextWriter output)
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
            w.WriteNumber("rounds", options.Repeats);
            w.WriteString("ratio", "per round ours/other items per second; > 1: ours faster");
            w.WriteBoolean("frozenWeights", !options.EagerWeights);
            w.WriteBoolean("torchOptimizedForInference", options.TorchOptimized);
            w.WriteBoolean("torchAvailable", torchNote is null);
            if (torchNote is not null) w.WriteString("torchNote", torchNote);
            else w.WriteString("torchOmpWaitPolicy", waitPolicy);
            w.WriteBoolean("ortAvailable", ortNote is null);
            if (ortNote is not null) w.WriteString("ortNote", ortNote);
            else w.WriteString("ortVersion", OrtModel.Version);
            w.WriteStartArray("notes");
            foreach (string n in notes) w.WriteStringValue(n);
            w.WriteEndArray();
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
                w.WriteNumber("oursRunsPerSample", r.OursRuns);
                w.WriteNumber("torchRunsPerSample", r.TorchRuns);
                w.WriteNumber("ortRunsPerSample", r.OrtRuns);
                w.WriteNumber("ours", Math.Round(r.Ours, 3));
                WriteNullable(w, "torch", r.Torch, 3);
                WriteNullable(w, "ort", r.Ort, 3);
                WriteNullable(w, "ratioTorch", r.VsTorch?.Median, 4);
                WriteNullable(w, "ratioTorchMin", r.VsTorch?.Min, 4);
                WriteNullable(w, "ratioTorchMax", r.VsTorch?.Max, 4);
                WriteNullable(w, "ratioOrt", r.VsOrt?.Median, 4);
                WriteNullable(w, "ratioOrtMin", r.VsOrt?.Min, 4);
                WriteNullable(w, "ratioOrtMax", r.VsOrt?.Max, 4);
                WriteNullable(w, "cpuRatioTorch", r.CpuRatio, 4);
                w.WriteNumber("oursMinorFaultsPerBatch", Math.Round(r.PerBatch.MinorFaults, 1));
                w.WriteNumber("oursGen0PerBatch", Math.Round(r.PerBatch.Gen0, 3));
                w.WriteNumber("oursGen1PerBatch", Math.Round(r.PerBatch.Gen1, 3));
                w.WriteNumber("oursGen2PerBatch", Math.Round(r.PerBatch.Gen2, 3));
                w.WriteNumber("oursAllocatedBytesPerBatch", Math.Round(r.PerBatch.AllocatedBytes));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("peakMemoryKb");
            foreach (PeakRow p in peaks)
            {
                w.WriteStartObject();
                w.WriteString("workload", p.Workload.Name);
                w.WriteNumber("threads", p.Threads);
                WriteNullable(w, "ours", p.OursKb, 0);
                WriteNullable(w, "torch", p.TorchKb, 0);
                WriteNullable(w, "ort", p.OrtKb, 0);
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
