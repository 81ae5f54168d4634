// `unravel-bench collect`: collection throughput vs plain forward throughput of the same model, data and batch size,
// in interleaved runs (target: collect ≥ 0.9 × forward). Two forwards: the plain one (weights packed per call, fresh
// tensors) and one run as Collector runs its passes (frozen weights, one arena scope per batch), so that the ratio
// against the latter is the cost of the hooks and the statistics alone.

using System.Diagnostics;
using System.Globalization;
using Unravel.Interpret.Collection;
using Unravel.IO;
using Unravel.Nn;
using static Unravel.Bench.BenchReport;

namespace Unravel.Bench;

internal static class CollectBench
{
    internal sealed record Options(string Architecture, string? Data, string Layers, int Inputs, int Batch, int Repeats);

    public static int Run(Options o, TextWriter output)
    {
        if (o.Inputs < 1 || o.Batch < 1 || o.Repeats < 1) throw new UnravelException("--inputs, --batch and --repeats must be at least 1.");
        LoadedModel loaded = ModelReference.Load(o.Architecture, null);
        RootModule model = loaded.Model;
        Tensor images = o.Data is null
            ? Tensor.RandomNormal(new Random(0), o.Inputs, 1, 28, 28)                                   // [N, 1, 28, 28]
            : Idx.ReadImages(o.Data);                                                                   // [N, 1, H, W]
        var data = new ImageDataset(images, null, "bench");
        int n = Math.Min(o.Inputs, data.Count);
        string[] layers = o.Layers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var options = new CollectionOptions();
        var forward = new List<double>();
        var frozenForward = new List<double>();
        var collect = new List<double>();
        var forwardCpu = new List<double>();
        var frozenCpu = new List<double>();
        var collectCpu = new List<double>();
        var arena = new TensorArena();
        for (int r = 0; r <= o.Repeats; r++)   // run 0 warms up and is not counted
        {
            var w = Stopwatch.StartNew();
            double cpu = ProcessCounters.CpuNow();
            for (int s = 0; s < n; s += o.Batch) data.Forward(model, s, Math.Min(o.Batch, n - s));
            double f = n / w.Elapsed.TotalSeconds, fc = ProcessCounters.CpuNow() - cpu;
            w.Restart();
            cpu = ProcessCounters.CpuNow();
            using (model.FreezeWeights())
            {
                for (int s = 0; s < n; s += o.Batch)
                {
                    using ArenaScope scope = arena.Begin();
                    data.Forward(model, s, Math.Min(o.Batch, n - s));
                }
            }
            double ff = n / w.Elapsed.TotalSeconds, ffc = ProcessCounters.CpuNow() - cpu;
            w.Restart();
            cpu = ProcessCounters.CpuNow();
            Collector.Run(model, data, layers, options, o.Batch, n);
            double c = n / w.Elapsed.TotalSeconds, cc = ProcessCounters.CpuNow() - cpu;
            if (r == 0) continue;
            forward.Add(f);
            frozenForward.Add(ff);
            collect.Add(c);
            forwardCpu.Add(fc * 1000 / n);
            frozenCpu.Add(ffc * 1000 / n);
            collectCpu.Add(cc * 1000 / n);
        }
        // The statistics alone, on one captured batch fed repeatedly (no forward pass), in full and with parts switched
        // off: CPU milliseconds per input show where the update spends its time.
        ActivationCache cache = model.RunWithCache(() => data.Forward(model, 0, Math.Min(o.Batch, n)), layers);
        (double PerSecond, double CpuMsPerInput) Statistics(CollectionOptions variant)
        {
            var stats = cache.Names.Select(name => new LayerStatistics(name, cache[name].Shape[1..].ToArray(), LayerStatistics.LayoutOf(cache[name]), variant)).ToList();
            int[] labels = Enumerable.Range(0, Math.Min(o.Batch, n)).Select(i => i % 10).ToArray();
            var sw = Stopwatch.StartNew();
            double cpu = ProcessCounters.CpuNow();
            int feeds = 0;
            do
            {
                foreach (LayerStatistics s in stats) s.Update(cache[s.Name], (long)feeds * o.Batch, labels);
                feeds++;
            } while (sw.Elapsed.TotalSeconds < 1);
            double inputs = feeds * (double)Math.Min(o.Batch, n);
            return (inputs / sw.Elapsed.TotalSeconds, (ProcessCounters.CpuNow() - cpu) * 1000 / inputs);
        }
        (double statsPerSecond, double statsCpu) = Statistics(options);
        var parts = new (string Name, CollectionOptions Variant)[]
        {
            ("without per-class top-k", options with { ClassTopK = 0 }),
            ("without pooled vectors", options with { KeepPooled = false, Quantiles = 0 }),
            ("without random samples", options with { RandomSamples = 0 }),
            ("top-k 1, 1 bin, nothing else", new CollectionOptions { TopK = 1, ClassTopK = 0, HistogramBins = 1, RandomSamples = 0, KeepPooled = false, Quantiles = 0 }),
        };
        double mf = Median(forward), mff = Median(frozenForward), mc = Median(collect);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{loaded.Architecture}, layers {string.Join(",", layers)}, {n} inputs, batch {o.Batch}, {Parallelism.Threads} threads, {o.Repeats} interleaved runs"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"forward  {mf,9:0.0} inputs/s (median)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"forward, frozen weights + arena (as collect runs it) {mff,9:0.0} inputs/s (median)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"collect  {mc,9:0.0} inputs/s (median)  ratio {mc / mf:0.000} vs forward, {mc / mff:0.000} vs frozen + arena forward"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"per-run ratios vs frozen + arena forward: {string.Join(" ", collect.Zip(frozenForward, (c, f) => (c / f).ToString("0.000", CultureInfo.InvariantCulture)))}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CPU per 1000 inputs: forward {Median(forwardCpu):0.00} s, frozen + arena forward {Median(frozenCpu):0.00} s, collect {Median(collectCpu):0.00} s " +
            $"(ratio {Median(forwardCpu) / Median(collectCpu):0.000}, {Median(frozenCpu) / Median(collectCpu):0.000})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"statistics alone {statsPerSecond,9:0.0} inputs/s, {statsCpu:0.000} CPU ms/input (one captured batch fed repeatedly, labels on)"));
        foreach ((string name, CollectionOptions variant) in parts)
        {
            (double perSecond, double ms) = Statistics(variant);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-30} {perSecond,9:0.0} inputs/s, {ms:0.000} CPU ms/input"));
        }
        return ExitCodes.Success;
    }
}
