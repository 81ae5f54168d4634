// `unravel bench collect`: collection throughput vs plain forward throughput of the same model, data and batch size,
// in interleaved runs (issue 5 target: collect ≥ 0.85 × forward).

using System.Diagnostics;
using System.Globalization;
using Unravel.Interpret.Collection;
using Unravel.IO;
using Unravel.Nn;
using static Unravel.Cli.Bench.BenchReport;

namespace Unravel.Cli.Bench;

internal static class CollectBench
{
    internal sealed record Options(string Architecture, string? Data, string Layers, int Inputs, int Batch, int Repeats);

    public static int Run(Options o, TextWriter output)
    {
        if (o.Inputs < 1 || o.Batch < 1 || o.Repeats < 1) throw new UnravelUserException("--inputs, --batch and --repeats must be at least 1.");
        LoadedModel loaded = ModelResolver.Resolve(o.Architecture, null);
        RootModule model = loaded.Model;
        Tensor images = o.Data is null
            ? Tensor.RandomNormal(new Random(0), o.Inputs, 1, 28, 28)                                   // [N, 1, 28, 28]
            : Idx.ReadImages(o.Data);                                                                   // [N, 1, H, W]
        var data = new ImageDataset(images, null, "bench");
        int n = Math.Min(o.Inputs, data.Count);
        string[] layers = o.Layers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var options = new CollectionOptions();
        var forward = new List<double>();
        var collect = new List<double>();
        for (int r = 0; r <= o.Repeats; r++)   // run 0 warms up and is not counted
        {
            var w = Stopwatch.StartNew();
            for (int s = 0; s < n; s += o.Batch) data.Forward(model, s, Math.Min(o.Batch, n - s));
            double f = n / w.Elapsed.TotalSeconds;
            w.Restart();
            Collector.Run(model, data, layers, options, o.Batch, n);
            double c = n / w.Elapsed.TotalSeconds;
            if (r == 0) continue;
            forward.Add(f);
            collect.Add(c);
        }
        // The statistics alone, on one captured batch fed repeatedly (no forward pass).
        ActivationCache cache = model.RunWithCache(() => data.Forward(model, 0, Math.Min(o.Batch, n)), layers);
        var stats = cache.Names.Select(name => new LayerStatistics(name, cache[name].Shape[1..].ToArray(), LayerStatistics.LayoutOf(cache[name]), options)).ToList();
        var sw = Stopwatch.StartNew();
        int feeds = 0;
        do
        {
            foreach (LayerStatistics s in stats) s.Update(cache[s.Name], (long)feeds * o.Batch);
            feeds++;
        } while (sw.Elapsed.TotalSeconds < 1);
        double statsPerSecond = feeds * (double)Math.Min(o.Batch, n) / sw.Elapsed.TotalSeconds;
        double mf = Median(forward), mc = Median(collect);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{loaded.Architecture}, layers {string.Join(",", layers)}, {n} inputs, batch {o.Batch}, {Parallelism.Threads} threads, {o.Repeats} interleaved runs"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"forward  {mf,9:0.0} inputs/s (median)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"collect  {mc,9:0.0} inputs/s (median)  ratio {mc / mf:0.000}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"statistics alone {statsPerSecond,9:0.0} inputs/s (one captured batch fed repeatedly)"));
        return ExitCodes.Success;
    }
}
