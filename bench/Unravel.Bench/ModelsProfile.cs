// `unravel-bench profile` (and `models --profile`): where our time goes inside one workload. The forward is timed
// between consecutive hook points (every module output and internal hook, via a "**" hook), so each interval is the
// work of the module whose hook closes it; the backward is timed per tape node by wrapping every node's backward
// (Tape.Backward's rule). Hooks being present switches fused inference off (conv + BN + residual + ReLU chains, GPT-2's
// fused layer norms), so the profile is of the unfused graph and slightly pessimistic; the plain run above it is the
// real one. Times are process CPU time (steadier than wall time on a shared host; with several threads it sums them).
// Each interval also counts the minor page faults taken inside it: their cost, measured once per process by touching
// fresh pages (ProbeFaultCost), is the allocation and zeroing share of each kind. A summary table groups every
// interval and node by op kind (ProfileKinds); the detailed tables follow.

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Unravel.Nn;
using Unravel.Tensors.Autograd;

namespace Unravel.Bench;

/// <summary>Per-kind, per-module forward and per-op backward timings of one workload.</summary>
internal static class ModelsProfile
{
    private const int Runs = 3;

    /// <summary>CPU milliseconds, wall milliseconds and minor page faults accumulated under one key.</summary>
    private record struct Cost(double Cpu, double Wall, long Faults);

    private static double? s_faultMicros;

    /// <summary>`unravel-bench profile`: profiles each workload on random-init weights at <paramref name="threads"/> threads.</summary>
    /// <exception cref="UnravelException">The thread count is not positive.</exception>
    public static int Run(IReadOnlyList<ModelsBench.Workload> workloads, int threads, TextWriter output)
    {
        if (threads < 1) throw new UnravelException($"--threads: {threads} is not ≥ 1.");
        int saved = Tensors.Parallelism.Threads;
        Tensors.Parallelism.Threads = threads;
        try
        {
            output.WriteLine($"CPU: {BenchReport.CpuModel() ?? "unknown"}, {Environment.ProcessorCount} cores; load average {ModelsBench.LoadAverage()}");
            using var models = new ModelsBench.OurModels();
            foreach (ModelsBench.Workload w in workloads) Write(w, models, output);
            output.WriteLine($"load average after: {ModelsBench.LoadAverage()}");
        }
        finally
        {
            Tensors.Parallelism.Threads = saved;
        }
        return ExitCodes.Success;
    }

    /// <summary>Profiles <paramref name="w"/> and writes the breakdown to <paramref name="output"/>.</summary>
    public static void Write(ModelsBench.Workload w, ModelsBench.OurModels models, TextWriter output)
    {
        RootModule model = models.Get(w.Model);
        Dictionary<string, string> kinds = Kinds(model);
        var forward = new Dictionary<string, Cost>();
        var backward = new Dictionary<string, Cost>();
        (double Cpu, long Wall, long Faults) last = default;
        Action run = models.Run(w, node => (n, dy, grads) =>
        {
            var start = Stamp();
            node.Backward(n, dy, grads);
            string key = node.Owner is Module m && m.Path.Length > 0 ? $"{node.Op} ({kinds.GetValueOrDefault(m.Path, m.GetType().Name)})" : node.Op;
            Add(backward, key, start);
        });

        Action plain = models.Run(w);
        plain();
        BatchCounters before = BatchCounters.Now();
        TimeSpan pause = GC.GetTotalPauseDuration();
        double cpu0 = ProcessCounters.CpuNow();
        long t0 = Stopwatch.GetTimestamp();
        plain();
        double plainMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds, plainCpuMs = (ProcessCounters.CpuNow() - cpu0) * 1e3;
        BatchCounters used = BatchCounters.Now() - before;
        double pauseMs = (GC.GetTotalPauseDuration() - pause).TotalMilliseconds;

        double totalMs, hookedPauseMs;
        long hookedFaults;
        using (model.Hooks.Add("**", (name, _) =>
        {
            Add(forward, kinds.GetValueOrDefault(name, Suffix(name)), last);
            last = Stamp();
        }))
        {
            run();
            forward.Clear();
            backward.Clear();
            double start = ProcessCounters.CpuNow();
            long faults = ProcessCounters.Now().MinorFaults;
            TimeSpan hookedPause = GC.GetTotalPauseDuration();
            for (int i = 0; i < Runs; i++)
            {
                last = Stamp();
                run();
            }
            totalMs = (ProcessCounters.CpuNow() - start) * 1e3 / Runs;
            hookedFaults = (ProcessCounters.Now().MinorFaults - faults) / Runs;
            hookedPauseMs = (GC.GetTotalPauseDuration() - hookedPause).TotalMilliseconds / Runs;
        }
        double faultUs = s_faultMicros ??= ProbeFaultCost();

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"profile {w.Name}, {Tensors.Parallelism.Threads} thread(s): plain run {plainMs:F1} ms wall, {plainCpuMs:F0} ms CPU, " +
            $"{used.MinorFaults:F0} page faults, {used.AllocatedBytes / 1048576.0:F0} MiB allocated, " +
            $"GC gen0/1/2 {used.Gen0:F0}/{used.Gen1:F0}/{used.Gen2:F0}, pause {pauseMs:F1} ms; hooked run {totalMs:F1} ms CPU"));
        WriteSummary(forward, backward, totalMs, hookedFaults, hookedPauseMs, faultUs, output);
        WriteTable("forward, unfused (time up to each hook, by module kind)", forward, output);
        if (backward.Count > 0) WriteTable("backward (per tape node, by op and owner kind)", backward, output);
    }

    /// <summary>The op-kind table: CPU ms and share of the hooked run, page faults and their estimated cost per kind,
    /// then the rows that belong to no interval (GC pauses, work after the last hook such as GPT-2's tied output head).</summary>
    private static void WriteSummary(Dictionary<string, Cost> forward, Dictionary<string, Cost> backward, double totalMs, long totalFaults,
        double pauseMs, double faultUs, TextWriter output)
    {
        var byKind = new Dictionary<string, (Cost Fwd, Cost Bwd)>();
        foreach ((string key, Cost c) in forward)
        {
            string kind = ProfileKinds.OfForward(key);
            (Cost f, Cost b) = byKind.GetValueOrDefault(kind);
            byKind[kind] = (Plus(f, c), b);
        }
        foreach ((string key, Cost c) in backward)
        {
            string kind = ProfileKinds.OfBackward(key);
            (Cost f, Cost b) = byKind.GetValueOrDefault(kind);
            byKind[kind] = (f, Plus(b, c));
        }
        double attributed = byKind.Values.Sum(v => v.Fwd.Cpu + v.Bwd.Cpu) / Runs;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  by op kind (CPU ms per run; faults = minor page faults inside, ≈ {faultUs:F1} µs each on this host, included in the time):"));
        output.WriteLine($"    {"kind",-36} {"fwd ms",8} {"bwd ms",8} {"share",6} {"faults",8} {"fault ms",9}");
        foreach ((string kind, (Cost f, Cost b)) in byKind.OrderByDescending(kv => kv.Value.Fwd.Cpu + kv.Value.Bwd.Cpu))
        {
            double ms = (f.Cpu + b.Cpu) / Runs, faults = (f.Faults + b.Faults) / (double)Runs;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {kind,-36} {f.Cpu / Runs,8:F1} {b.Cpu / Runs,8:F1} {100 * ms / totalMs,5:F1}% {faults,8:F0} {faults * faultUs / 1e3,9:F1}"));
        }
        double rest = totalMs - attributed;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    {"outside the hooks (e.g. output head)",-36} {rest,17:F1} {100 * rest / totalMs,5:F1}%"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    allocation and zeroing: {totalFaults} page faults ≈ {totalFaults * faultUs / 1e3:F1} ms ({100 * totalFaults * faultUs / 1e3 / totalMs:F1} % of the run; inside the rows above), GC pauses {pauseMs:F1} ms"));
    }

    private static Cost Plus(Cost a, Cost b) => new(a.Cpu + b.Cpu, a.Wall + b.Wall, a.Faults + b.Faults);

    private static void WriteTable(string title, Dictionary<string, Cost> times, TextWriter output)
    {
        double total = times.Values.Sum(t => t.Cpu) / Runs, wall = times.Values.Sum(t => t.Wall) / Runs;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {title}: CPU {total:F1} ms, wall {wall:F1} ms"));
        foreach ((string key, Cost c) in times.OrderByDescending(kv => kv.Value.Cpu))
        {
            double per = c.Cpu / Runs;
            if (per < total * 0.005) continue;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {key,-44} CPU {per,8:F2} ms {100 * per / total,5:F1} %   wall {c.Wall / Runs,8:F2} ms   faults {c.Faults / Runs,7}"));
        }
    }

    private static (double Cpu, long Wall, long Faults) Stamp() => (ProcessCounters.CpuNow(), Stopwatch.GetTimestamp(), ProcessCounters.Now().MinorFaults);

    /// <summary>Adds the CPU and wall milliseconds and page faults since <paramref name="since"/> to <paramref name="d"/>[key].</summary>
    private static void Add(Dictionary<string, Cost> d, string key, (double Cpu, long Wall, long Faults) since)
    {
        Cost c = d.GetValueOrDefault(key);
        d[key] = new Cost(c.Cpu + (ProcessCounters.CpuNow() - since.Cpu) * 1e3, c.Wall + Stopwatch.GetElapsedTime(since.Wall).TotalMilliseconds,
            c.Faults + ProcessCounters.Now().MinorFaults - since.Faults);
    }

    /// <summary>Microseconds per minor page fault: 64 MiB of fresh native memory (glibc maps it freshly), one write per
    /// 4 KiB page, CPU time over the faults taken. NaN where no fault was counted (not Linux).</summary>
    private static unsafe double ProbeFaultCost()
    {
        const int bytes = 64 << 20;
        byte* p = (byte*)NativeMemory.Alloc(bytes);
        try
        {
            ProcessCounters before = ProcessCounters.Now();
            for (int i = 0; i < bytes; i += 4096) p[i] = 1;
            ProcessCounters used = ProcessCounters.Now() - before;
            return used.MinorFaults > 0 ? used.CpuSeconds * 1e6 / used.MinorFaults : double.NaN;
        }
        finally
        {
            NativeMemory.Free(p);
        }
    }

    /// <summary>Hook name → a kind such as "Conv2d 3x3 s2 64→128" or "BatchNorm2d", for every module path.</summary>
    private static Dictionary<string, string> Kinds(RootModule model)
    {
        var kinds = new Dictionary<string, string>();
        foreach (Module m in model.Modules())
        {
            if (m.Path.Length == 0) continue;
            kinds[m.Path] = m switch
            {
                Nn.Layers.Conv2d c => $"Conv2d {c.Kernel}x{c.Kernel} s{c.Options.Stride.H} {c.InChannels}→{c.OutChannels}",
                Nn.Layers.Linear l => $"Linear {l.InFeatures}→{l.OutFeatures}",
                Models.Vision.ResidualBlockBase => "block output (relu)",
                _ => m.GetType().Name,
            };
        }
        return kinds;
    }

    private static string Suffix(string hookName) => hookName[(hookName.LastIndexOf('.') + 1)..];
}
