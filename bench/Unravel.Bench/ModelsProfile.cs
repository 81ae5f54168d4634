// `unravel-bench models --profile`: where our time goes inside one workload. The forward is timed between consecutive
// hook points (every module output and internal hook, via a "**" hook), so each interval is the work of the module
// whose hook closes it; the backward is timed per tape node by wrapping every node's backward (Tape.Backward's rule).
// Hooks being present switches GPT-2's layer norms to their unfused form, so the forward profile is slightly pessimistic
// there. Times are process CPU time (steadier than wall time on a shared host; with several threads it sums them).
// GC figures come from a plain (unhooked) run.

using System.Diagnostics;
using System.Globalization;
using Unravel.Nn;
using Unravel.Tensors.Autograd;

namespace Unravel.Bench;

/// <summary>Per-module forward and per-op backward timings of one workload.</summary>
internal static class ModelsProfile
{
    private const int Runs = 3;

    /// <summary>Profiles <paramref name="w"/> and writes the breakdown to <paramref name="output"/>.</summary>
    public static void Write(ModelsBench.Workload w, ModelsBench.OurModels models, TextWriter output)
    {
        RootModule model = models.Get(w.Model);
        Dictionary<string, string> kinds = Kinds(model);
        var forward = new Dictionary<string, (double Cpu, double Wall)>();
        var backward = new Dictionary<string, (double Cpu, double Wall)>();
        (double Cpu, long Wall) last = default;
        Action run = models.Run(w, node => (n, dy, grads) =>
        {
            (double Cpu, long Wall) start = (ProcessCounters.CpuNow(), Stopwatch.GetTimestamp());
            node.Backward(n, dy, grads);
            string key = node.Owner is Module m && m.Path.Length > 0 ? $"{node.Op} ({kinds.GetValueOrDefault(m.Path, m.GetType().Name)})" : node.Op;
            Add(backward, key, start);
        });

        Action plain = models.Run(w);
        plain();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
        TimeSpan pause = GC.GetTotalPauseDuration();
        ProcessCounters c0 = ProcessCounters.Now();
        long t0 = Stopwatch.GetTimestamp();
        plain();
        double plainMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        ProcessCounters used = ProcessCounters.Now() - c0;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        double pauseMs = (GC.GetTotalPauseDuration() - pause).TotalMilliseconds;

        double totalMs;
        using (model.Hooks.Add("**", (name, _) =>
        {
            Add(forward, kinds.GetValueOrDefault(name, Suffix(name)), last);
            last = (ProcessCounters.CpuNow(), Stopwatch.GetTimestamp());
        }))
        {
            run();
            forward.Clear();
            backward.Clear();
            double start = ProcessCounters.CpuNow();
            for (int i = 0; i < Runs; i++)
            {
                last = (ProcessCounters.CpuNow(), Stopwatch.GetTimestamp());
                run();
            }
            totalMs = (ProcessCounters.CpuNow() - start) * 1e3 / Runs;
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"profile {w.Name}, {Tensors.Parallelism.Threads} thread(s): plain run {plainMs:F1} ms (CPU {used.CpuSeconds * 1e3:F0} ms, " +
            $"{used.MinorFaults} page faults), allocated {allocated / 1048576.0:F0} MiB, " +
            $"GC gen0/1/2 {GC.CollectionCount(0) - g0}/{GC.CollectionCount(1) - g1}/{GC.CollectionCount(2) - g2}, pause {pauseMs:F1} ms; " +
            $"hooked run CPU {totalMs:F1} ms"));
        WriteTable("forward, unfused (the hooks turn fused inference off; time up to each hook, by module kind)", forward, output);
        if (backward.Count > 0) WriteTable("backward (per tape node, by op and owner kind)", backward, output);
    }

    private static void WriteTable(string title, Dictionary<string, (double Cpu, double Wall)> times, TextWriter output)
    {
        double total = times.Values.Sum(t => t.Cpu) / Runs, wall = times.Values.Sum(t => t.Wall) / Runs;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {title}: CPU {total:F1} ms, wall {wall:F1} ms"));
        foreach ((string key, (double cpu, double w)) in times.OrderByDescending(kv => kv.Value.Cpu))
        {
            double per = cpu / Runs;
            if (per < total * 0.005) continue;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {key,-44} CPU {per,8:F2} ms {100 * per / total,5:F1} %   wall {w / Runs,8:F2} ms"));
        }
    }

    /// <summary>Adds the CPU and wall milliseconds since <paramref name="since"/> to <paramref name="d"/>[key].</summary>
    private static void Add(Dictionary<string, (double Cpu, double Wall)> d, string key, (double Cpu, long Wall) since)
    {
        (double cpu, double wall) = d.GetValueOrDefault(key);
        d[key] = (cpu + (ProcessCounters.CpuNow() - since.Cpu) * 1e3, wall + Stopwatch.GetElapsedTime(since.Wall).TotalMilliseconds);
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
