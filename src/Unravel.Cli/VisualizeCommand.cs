// `unravel visualize MODEL --layer HOOK --neuron c [--direction FILE.npy] --out fv.png`: feature visualisation (Olah,
// Mordvintsev, Schubert 2017, "Feature Visualization", Distill) of a channel or a direction at any hook point, split
// channels included (<conv>.hook_split). Seeded: the same seed gives the same image. Parses the options, runs
// FeatureVisualizer and writes the PNG; the image size and channels follow the model's input.
// `unravel visualize ATLAS --layer L --neuron c --method concepts|pure`: one image per stored concept vector or PURE
// virtual neuron of the neuron, stored in the atlas beside its record (VisualizeStage), where the report shows them.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.Atlas;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Stages;
using Unravel.Interpret.FeatureVisualization;
using Unravel.IO;
using Unravel.IO.Images;
using Unravel.Models.Vision;

namespace Unravel.Cli;

internal static class VisualizeCommand
{
    private static readonly ModelReferenceOptions Model = new("Model: a shipped name, a checkpoint (e.g. an exported split) or a folder; or an atlas with --method.", "Architecture of a checkpoint file without one recorded.");
    private static readonly OutputOptions Output = new();
    private static readonly Option<string> LayerOption = new("--layer", "-l") { Description = "Hook point, e.g. layer3.0.conv2 or layer3.0.conv2.hook_split.", Required = true };
    private static readonly Option<int?> NeuronOption = new("--neuron", "-n") { Description = "Channel to maximise (mean over positions)." };
    private static readonly Option<string?> DirectionOption = new("--direction") { Description = ".npy vector: maximise the cosine of the activations with it instead." };
    private static readonly Option<string?> OutOption = new("--out", "-o") { Description = "PNG file to write (a model)." };
    private static readonly Option<string?> MethodOption = new("--method") { Description = "With an atlas: visualise the neuron's stored concepts or pure directions into the atlas." };
    private static readonly Option<int> SeedOption = new("--seed") { Description = "Seed of the initial image and the random warps.", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> StepsOption = new("--steps") { Description = "Adam steps.", DefaultValueFactory = _ => 256 };

    public static Command Create()
    {
        Command command = new("visualize", "Optimise an image that maximises a channel or direction at a hook (feature visualisation).")
            { Model.Model, LayerOption, NeuronOption, DirectionOption, OutOption, MethodOption, Model.Arch, SeedOption, StepsOption, Output.Json };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(Model.ModelOf(parse), parse.GetValue(LayerOption)!, parse.GetValue(NeuronOption),
            parse.GetValue(DirectionOption), parse.GetValue(OutOption), Model.ArchOf(parse), parse.GetValue(SeedOption), parse.GetValue(StepsOption),
            Output.JsonOf(parse), parse.GetValue(MethodOption)), Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Model, string Layer, int? Neuron, string? Direction, string? Out, string? Arch = null, int Seed = 0, int Steps = 256,
        bool Json = false, string? Method = null);

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        if ((r.Neuron is null) == (r.Direction is null)) throw new UnravelUserException("give exactly one of --neuron and --direction.", "e.g. --neuron 47");
        if (r.Steps < 1) throw new UnravelUserException($"--steps must be at least 1 (got {r.Steps}).");
        if (r.Method is not null) return RunAtlas(r, output, error, cancellationToken);
        if (r.Out is null) throw new UnravelUserException("--out is required for a model (or pass an atlas with --method concepts|pure).", "e.g. --out fv.png");
        string? folder = Path.GetDirectoryName(Path.GetFullPath(r.Out));
        if (folder is not null && !Directory.Exists(folder)) throw new UnravelUserException($"--out {r.Out}: the folder {folder} does not exist.");
        if (Directory.Exists(r.Out)) throw new UnravelUserException($"--out {r.Out}: is a folder; pass a .png file path.");
        LoadedModel loaded = ModelReference.Load(r.Model, r.Arch);
        if (loaded.Model is not IImageClassifier) throw new UnravelUserException($"{r.Model}: feature visualisation needs an image model.");
        if (!loaded.Model.AllHookNames.Contains(r.Layer))
            throw new UnravelUserException($"'{r.Layer}' is not a hook point of {r.Model}.", $"e.g. {string.Join(", ", loaded.Model.AllHookNames.TakeLast(6))}");
        float[]? direction = null;
        if (r.Direction is { } file)
        {
            if (!File.Exists(file)) throw new UnravelUserException($"--direction {file}: no such file.");
            direction = Npy.Read(file).Data.ToArray();
        }
        FeatureVisualizationOptions options = FeatureImages.Options(loaded.Model, r.Seed, r.Steps);
        FeatureObjective objective = direction is null ? FeatureObjective.Neuron(r.Layer, r.Neuron!.Value) : FeatureObjective.AlongDirection(r.Layer, direction);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        FeatureVisualizationResult result = FeatureVisualizer.Run(loaded.Model, objective, options, null, cancellationToken);
        Png.Write(r.Out, FeatureImages.ToImage(result.Image));
        double seconds = watch.Elapsed.TotalSeconds;
        if (r.Json)
            output.WriteLine(JsonSerializer.Serialize(new { model = loaded.Source, layer = r.Layer, neuron = r.Neuron, direction = r.Direction, seed = r.Seed, steps = r.Steps,
                objective = result.FinalObjective, @out = Path.GetFullPath(r.Out), seconds }));
        else
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Layer}{(r.Neuron is { } n ? $"[{n}]" : " along " + r.Direction)}: objective {result.FinalObjective:0.###} after {r.Steps} steps (seed {r.Seed}) in {seconds:0.0} s → {r.Out}"));
        return ExitCodes.Success;
    }

    /// <summary>The atlas form: one image per stored direction of the neuron, written into the atlas.</summary>
    private static int RunAtlas(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (r.Direction is not null || r.Out is not null || r.Arch is not null)
            throw new UnravelUserException("--method visualises an atlas's stored directions into the atlas; --direction, --out and --arch are for a model.");
        if (!File.Exists(Path.Combine(r.Model, "manifest.json")))
            throw new UnravelUserException($"--method needs an atlas; {r.Model} is not an atlas folder (no manifest.json).", "pass the atlas of `unravel collect`");
        var request = new VisualizeRequest(AtlasSession.Open(r.Model), r.Layer, r.Neuron!.Value, r.Method!) { Seed = r.Seed, Steps = r.Steps };
        VisualizeStageResult result = ProgressBar.Around(error, bar => new VisualizeStage().Run(request, bar, cancellationToken));
        if (r.Json)
            output.WriteLine(JsonSerializer.Serialize(new { atlas = r.Model, layer = r.Layer, neuron = r.Neuron, method = r.Method, seed = r.Seed, steps = r.Steps, index = result.Index,
                images = result.Images.Select(i => new { name = i.Name, hook = i.Hook, file = i.File, objective = i.Value, seconds = i.Seconds }) }));
        else
            foreach (FeatureImage i in result.Images)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Layer}[{r.Neuron}] {i.Name}: cosine {i.Value:0.###} along the stored direction at {i.Hook} after {i.Steps} steps (seed {i.Seed}) in {i.Seconds:0.0} s → {i.File}"));
        return ExitCodes.Success;
    }
}
