// `unravel-bench onnx`: an imported ONNX ResNet against the native ResNet on the same weights, forward only, in one run.
// The ONNX file is torchvision's resnet18 exported by the fixture tooling (tools/fixtures/onnx_models.py --large DIR
// resnet18_full: random weights, batch norms kept as nodes, initializers named by the state_dict keys), so the native
// model loads its weights from the imported graph's parameters. Both run with frozen weights in eval mode; the outputs
// are compared first. Each (batch, threads) workload is warmed up on both sides, then measured in interleaved pairs
// (onnx, native, onnx, native, ...) so host noise hits both alike; the table gives the median images/s of each side and
// the median and min-max of the per-pair ratios onnx / native, in wall time and in process CPU time per image.

using System.CommandLine;
using System.Globalization;
using Unravel.Models.Onnx;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;
using static Unravel.Bench.BenchReport;

namespace Unravel.Bench;

/// <summary>Measures and renders the ONNX-vs-native benchmark.</summary>
internal static class OnnxBench
{
    private static readonly Option<string> OnnxOption = new("--onnx")
    {
        Description = "torchvision resnet18 exported by tools/fixtures/onnx_models.py --large DIR resnet18_full.", Required = true,
    };
    private static readonly Option<string> ThreadsOption = new("--threads") { Description = "Thread counts, e.g. 1,2.", DefaultValueFactory = _ => "1,2" };
    private static readonly Option<string> BatchesOption = new("--batches") { Description = "Batch sizes, e.g. 1,16.", DefaultValueFactory = _ => "1,16" };
    private static readonly Option<int> RepeatsOption = new("--repeats") { Description = "Interleaved onnx/native pairs per row.", DefaultValueFactory = _ => 5 };

    public static Command Create()
    {
        Command command = new("onnx", "Imported ONNX ResNet-18 vs the native ResNet-18 on the same weights, interleaved runs, median ratio.")
        {
            OnnxOption, ThreadsOption, BatchesOption, RepeatsOption,
        };
        command.SetAction(parse => Run(new Options(parse.GetValue(OnnxOption)!, ModelsBench.ParseThreads(parse.GetValue(ThreadsOption)!),
            ParseBatches(parse.GetValue(BatchesOption)!), parse.GetValue(RepeatsOption)), Console.Out));
        return command;
    }

    /// <summary>Parses "1,16" into batch sizes.</summary>
    /// <exception cref="UnravelException">An item is not a positive integer.</exception>
    public static IReadOnlyList<int> ParseBatches(string text)
    {
        var batches = new List<int>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            batches.Add(int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int b) && b >= 1 ? b
                : throw new UnravelException($"--batches: '{item}' is not a batch size.", "Use e.g. --batches 1,16."));
        return batches.Count > 0 ? batches : throw new UnravelException("--batches: no batch size given.");
    }

    /// <summary>Parsed command-line options.</summary>
    internal sealed record Options(string Onnx, IReadOnlyList<int> Threads, IReadOnlyList<int> Batches, int Repeats);

    /// <summary>Runs the benchmark and writes the table to <paramref name="output"/>.</summary>
    /// <exception cref="UnravelException">The file is missing, or is not a torchvision ResNet-18 export.</exception>
    public static int Run(Options options, TextWriter output)
    {
        if (options.Repeats < 1) throw new UnravelException($"--repeats: {options.Repeats} is not ≥ 1.");
        if (!File.Exists(options.Onnx))
            throw new UnravelException($"--onnx: '{options.Onnx}' does not exist.",
                "Export it with: cd tools/fixtures && python3 onnx_models.py --large DIR resnet18_full (then DIR/resnet18_full/model.onnx).");
        var onnx = OnnxModel.Load(options.Onnx) as OnnxImageClassifier
            ?? throw new UnravelException($"--onnx: '{options.Onnx}' is not an image classifier.");
        ResNet native = Native(onnx, options.Onnx);
        onnx.Eval();
        native.Eval();
        using FrozenWeights frozenOnnx = onnx.FreezeWeights();
        using FrozenWeights frozenNative = native.FreezeWeights();

        Tensor probe = Tensor.RandomNormal(new Random(2), 2, 3, 224, 224);
        Tensor a = ((IImageClassifier)onnx).Forward(probe), b = native.Forward(probe);
        double maxDiff = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(a.Data[i] - b.Data[i]));
            scale = Math.Max(scale, Math.Abs(b.Data[i]));
        }

        string loadBefore = ModelsBench.LoadAverage();
        output.WriteLine($"ONNX import vs native ResNet-18, same weights ({Path.GetFileName(options.Onnx)}: {onnx.ConvChains} conv chains), frozen weights, eval mode");
        output.WriteLine($"CPU: {CpuModel() ?? "unknown"}, {Environment.ProcessorCount} cores; load average {loadBefore}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"logits max |onnx - native| {maxDiff:G3} (scale {scale:G3}); {options.Repeats} interleaved pairs per row"));
        output.WriteLine();
        output.WriteLine($"{"workload",-16} {"thr",3} {"onnx img/s",11} {"native img/s",13} {"ratio",7} {"range",11} {"cpu-ratio",9} {"cpu-range",11}");
        int saved = Parallelism.Threads;
        try
        {
            foreach (int threads in options.Threads)
            {
                Parallelism.Threads = threads;
                foreach (int batch in options.Batches)
                {
                    Tensor images = Tensor.RandomNormal(new Random(1), batch, 3, 224, 224);
                    Action runOnnx = () => ((IImageClassifier)onnx).Forward(images), runNative = () => native.Forward(images);
                    double onceOnnx = 0, onceNative = 0;
                    for (int i = 0; i < 2; i++)
                    {
                        onceOnnx = ModelsBench.Time(runOnnx, 1).Wall;
                        onceNative = ModelsBench.Time(runNative, 1).Wall;
                    }
                    int runsOnnx = ModelsBench.RunsPerSample(onceOnnx), runsNative = ModelsBench.RunsPerSample(onceNative);
                    var onnxRate = new double[options.Repeats];
                    var nativeRate = new double[options.Repeats];
                    var ratios = new double[options.Repeats];
                    var cpuRatios = new double[options.Repeats];
                    for (int r = 0; r < options.Repeats; r++)
                    {
                        (double onnxWall, double onnxCpu) = ModelsBench.Time(runOnnx, runsOnnx);
                        (double nativeWall, double nativeCpu) = ModelsBench.Time(runNative, runsNative);
                        onnxRate[r] = batch * runsOnnx / onnxWall;
                        nativeRate[r] = batch * runsNative / nativeWall;
                        ratios[r] = onnxRate[r] / nativeRate[r];
                        cpuRatios[r] = nativeCpu / runsNative / (onnxCpu / runsOnnx);
                    }
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{$"resnet18_fwd_b{batch}",-16} {threads,3} {Median(onnxRate),11:F2} {Median(nativeRate),13:F2} {Median(ratios),7:F2} {$"{ratios.Min():F2}-{ratios.Max():F2}",11} {Median(cpuRatios),9:F2} {$"{cpuRatios.Min():F2}-{cpuRatios.Max():F2}",11}"));
                }
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
        output.WriteLine($"load average after: {ModelsBench.LoadAverage()}");
        output.WriteLine("ratio = median over pairs of onnx/native images per second (> 1: the import is faster); range = min-max of the pair ratios;");
        output.WriteLine("cpu-ratio = the same from process CPU time per image (steadier on a busy host; at 2 threads it also counts spinning).");
        return ExitCodes.Success;
    }

    /// <summary>The native ResNet-18 bound to the imported graph's parameters (the same tensors).</summary>
    private static ResNet Native(OnnxImageClassifier onnx, string file)
    {
        var tensors = new Dictionary<string, Tensor>(onnx.StateDict(), StringComparer.Ordinal);
        // torch.onnx drops the batch norms' num_batches_tracked counters, which inference never reads.
        foreach (string key in tensors.Keys.Where(k => k.EndsWith(".running_mean", StringComparison.Ordinal)).ToArray())
            tensors[key[..^"running_mean".Length] + "num_batches_tracked"] = Tensor.Zeros();
        WeightSource ws = WeightSource.FromTensors(tensors, file);
        var native = new ResNet(ws, ResNetConfig.ResNet18 with { Classes = onnx.Classes });
        try
        {
            ws.Complete();
        }
        catch (WeightMismatchException e)
        {
            throw new UnravelException($"--onnx: '{file}' does not hold torchvision ResNet-18 weights under their state_dict keys ({e.Message}).",
                "Export it with tools/fixtures/onnx_models.py --large DIR resnet18_full.");
        }
        return native;
    }
}
