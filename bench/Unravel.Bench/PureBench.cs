// `unravel-bench pure`: PURE circuits for a layer, the image-major pass (each input forwarded once, sub-network
// backward in rounds) vs the naive baseline the tests use as reference (one full forward + full backward to the input
// per (neuron, input) pair, as the official code), per-pair times in interleaved runs (DESIGN §8 target: ≥ 10×). The
// naive backward computes the parameters' gradients too, as a plain PyTorch `model(x)` + `.backward()` does (parameters
// require grad by default); --naive-backward input differentiates the input only, and --naive-backward lower-layer is the
// fair baseline: the tape starts at the lower layer (no parameter gradients, no image gradient).

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Unravel.Interpret.Collection;
using Unravel.Interpret.Pure;
using Unravel.IO;
using Unravel.Nn;
using static Unravel.Bench.BenchReport;

namespace Unravel.Bench;

internal static class PureBench
{
    private static readonly Option<string> ModelOption = new("--model") { Description = "Checkpoint file (with --arch) or architecture (random weights).", DefaultValueFactory = _ => "small-resnet-16" };
    private static readonly Option<string?> ArchOption = new("--arch") { Description = "Architecture of a checkpoint file." };
    private static readonly Option<string?> DataOption = new("--data") { Description = "IDX images file (default: synthetic 28x28 images)." };
    private static readonly Option<string> LayerOption = new("--layer") { Description = "Analysed layer.", DefaultValueFactory = _ => "layer3" };
    private static readonly Option<string> LowerOption = new("--lower") { Description = "Lower layer.", DefaultValueFactory = _ => "layer2" };
    private static readonly Option<int> InputsOption = new("--inputs") { Description = "Distinct inputs in the fast pass.", DefaultValueFactory = _ => 512 };
    private static readonly Option<int> PerInputOption = new("--neurons-per-input") { Description = "Neurons whose reference each input is (a whole layer at k = 100 gives about 2).", DefaultValueFactory = _ => 2 };
    private static readonly Option<int> NaiveOption = new("--naive-pairs") { Description = "Pairs timed with the naive baseline per run.", DefaultValueFactory = _ => 48 };
    private static readonly Option<int> BatchOption = new("--batch") { Description = "Inputs per forward in the image-major pass.", DefaultValueFactory = _ => 128 };
    private static readonly Option<string> NaiveBackwardOption = new("--naive-backward")
    {
        Description = "How far the naive baseline differentiates: parameters (PyTorch's default), input, or lower-layer (the fair baseline).",
        DefaultValueFactory = _ => "parameters",
    };
    private static readonly Option<int> RepeatsOption = new("--repeats") { Description = "Interleaved fast/naive runs (plus one warm-up).", DefaultValueFactory = _ => 3 };

    public static Command Create()
    {
        Command command = new("pure", "PURE circuits: image-major pass vs one full forward+backward per (neuron, input), per-pair time ratio.")
        {
            ModelOption, ArchOption, DataOption, LayerOption, LowerOption, InputsOption, PerInputOption, NaiveOption, RepeatsOption, BatchOption, NaiveBackwardOption,
        };
        command.SetAction(parse => Run(parse.GetValue(ModelOption)!, parse.GetValue(ArchOption), parse.GetValue(DataOption), parse.GetValue(LayerOption)!,
            parse.GetValue(LowerOption)!, parse.GetValue(InputsOption), parse.GetValue(PerInputOption), parse.GetValue(NaiveOption), parse.GetValue(RepeatsOption),
            parse.GetValue(BatchOption), parse.GetValue(NaiveBackwardOption)!, Console.Out));
        return command;
    }

    internal static int Run(string modelName, string? arch, string? dataPath, string layer, string lower, int inputs, int perInput, int naivePairs,
        int repeats, int batch, string naiveBackward, TextWriter output)
    {
        if (inputs < 1 || perInput < 1 || naivePairs < 1 || repeats < 1 || batch < 1)
            throw new UnravelException("--inputs, --neurons-per-input, --naive-pairs, --repeats and --batch must be at least 1.");
        NaiveBackward backward = naiveBackward switch
        {
            "parameters" => NaiveBackward.Parameters,
            "input" => NaiveBackward.Input,
            "lower-layer" => NaiveBackward.LowerLayer,
            _ => throw new UnravelException($"--naive-backward {naiveBackward}: unknown mode.", "use parameters, input or lower-layer"),
        };
        LoadedModel loaded = ModelReference.Load(modelName, arch);
        RootModule model = loaded.Model;
        model.Eval();
        Tensor images = dataPath is null ? Tensor.RandomUniform(new Random(0), 0f, 1f, inputs, 1, 28, 28) : Idx.ReadImages(dataPath); // [N, 1, H, W]
        var data = new ImageDataset(images, null, "bench");
        int n = Math.Min(inputs, data.Count);
        int channels;
        try
        {
            channels = model.RunWithCache(() => data.Forward(model, [0L]), layer)[layer].Dim(1);
        }
        catch (ArgumentException e)
        {
            throw new UnravelException(e.Message, $"see `unravel inspect {loaded.Architecture}` for the hook names");
        }
        var rng = new Random(1);
        CircuitRequest[] pairs = Enumerable.Range(0, n)
            .SelectMany(i => Enumerable.Range(0, channels).OrderBy(_ => rng.Next()).Take(perInput).Select(j => new CircuitRequest(j, i))).ToArray();
        var fast = new List<double>();
        var naive = new List<double>();
        var fastCpu = new List<double>();
        var naiveCpu = new List<double>();
        using var process = Process.GetCurrentProcess();
        double maxDiff = 0;
        bool sub = false;
        for (int r = 0; r <= repeats; r++)   // run 0 warms up and is not counted
        {
            process.Refresh();
            TimeSpan cpu0 = process.TotalProcessorTime;
            CircuitResult result = Circuits.Compute(model, data, layer, lower, pairs, batch);
            process.Refresh();
            TimeSpan cpu1 = process.TotalProcessorTime;
            sub = result.SubNetwork;
            var w = Stopwatch.StartNew();
            int m = Math.Min(naivePairs, pairs.Length);
            for (int s = 0; s < m; s++)
            {
                CircuitRequest p = pairs[(int)((long)s * pairs.Length / m)];
                (float[] c, _) = Circuits.ComputeNaive(model, data, layer, lower, p, backward);
                for (int i = 0; i < c.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(c[i] - result.Circuits[p][i]));
            }
            process.Refresh();
            TimeSpan cpu2 = process.TotalProcessorTime;
            if (r == 0) continue;
            fast.Add(result.Elapsed.TotalSeconds / pairs.Length);
            naive.Add(w.Elapsed.TotalSeconds / m);
            fastCpu.Add((cpu1 - cpu0).TotalSeconds / pairs.Length);
            naiveCpu.Add((cpu2 - cpu1).TotalSeconds / m);
        }
        double mf = Median(fast), mn = Median(naive), cf = Median(fastCpu), cn = Median(naiveCpu);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{loaded.Architecture}, {layer} ← {lower}, {n} inputs × {perInput} neurons = {pairs.Length} pairs, {Parallelism.Threads} threads, {repeats} interleaved runs ({(sub ? "sub-network" : "full replay")}, batch {batch})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"image-major  {mf * 1e3,8:0.000} ms/pair (median wall)  {cf * 1e3,8:0.000} ms/pair (median process CPU)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"naive        {mn * 1e3,8:0.000} ms/pair (median wall)  {cn * 1e3,8:0.000} ms/pair (median process CPU); backward {backward switch
        {
            NaiveBackward.Parameters => "with parameter gradients, as PyTorch's default",
            NaiveBackward.Input => "to the input only",
            _ => "from the neuron to the lower layer only (fair baseline)",
        }}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"speed-up     {mn / mf,8:0.0}× wall  {cn / cf,8:0.0}× CPU  max |Δ| {maxDiff:0.0e+0}"));
        return ExitCodes.Success;
    }
}
