// `unravel attribute MODEL --input FILE [--composite NAME] [--condition LAYER:CH] [--target C] --out heatmap.png`:
// an LRP (or CRP, with conditions) heatmap of one image, rendered red (positive) / blue (negative) on a symmetric
// scale, with the top class, the total relevance and the per-layer conservation report. Spec: pure-lrp-crp.md §3-§4.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.Interpret.Attribution;
using Unravel.IO;
using Unravel.IO.Images;
using Unravel.Models.Vision;

namespace Unravel.Cli;

internal static class AttributeCommand
{
    private static readonly ModelReferenceOptions Model = new("Checkpoint file or folder, a shipped model name (e.g. fashion-small-resnet), or an architecture name (random weights).", "Architecture of a checkpoint (see `unravel models`).");
    private static readonly OutputOptions Output = new();

    private static readonly Option<string> InputOption = new("--input", "-i")
    {
        Description = "Image to explain (PNG/JPEG), or an IDX image file (e.g. t10k-images-idx3-ubyte.gz) with --index.",
        Required = true,
    };

    private static readonly Option<int> IndexOption = new("--index") { Description = "Image index in an IDX file.", DefaultValueFactory = _ => 0 };
    private static readonly Option<string> CompositeOption = new("--composite", "-c")
    {
        Description = $"LRP composite: {string.Join(", ", Composites.Names)}.", DefaultValueFactory = _ => "epsilon-plus-flat",
    };
    private static readonly Option<string[]> ConditionOption = new("--condition")
    {
        Description = "CRP condition LAYER:CHANNEL[,CHANNEL…][@POSITION] (repeatable), e.g. layer2.0:5, or layer3.0:5@12 for one unit.", AllowMultipleArgumentsPerToken = false,
    };
    private static readonly Option<string?> StartOption = new("--start") { Description = "CRP: start at this layer, seeded with its ReLU'd activation (use with --condition on the same layer)." };
    private static readonly Option<bool> ExcludeParallelOption = new("--exclude-parallel") { Description = "CRP: relevance reaches the input only through the conditioned layers." };
    private static readonly Option<int?> TargetOption = new("--target") { Description = "Class to explain (default: the predicted class)." };
    private static readonly Option<float> EpsilonOption = new("--epsilon") { Description = "ε of the Epsilon rule on dense layers.", DefaultValueFactory = _ => 1e-6f };
    private static readonly Option<float> StabilizerOption = new("--stabilizer") { Description = "Denominator stabiliser of the other rules (ZPlus, AlphaBeta, Gamma, Norm, …).", DefaultValueFactory = _ => 1e-6f };
    private static readonly Option<float> GammaOption = new("--gamma") { Description = "γ of the Gamma rule (epsilon-gamma-box).", DefaultValueFactory = _ => 0.25f };
    private static readonly Option<string> OutOption = new("--out", "-o") { Description = "Heatmap PNG to write.", Required = true };
    private static readonly Option<int> ScaleOption = new("--scale") { Description = "Pixel magnification of the PNG (0: auto, ≥ 224 px).", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> LayersOption = new("--layers") { Description = "Conservation rows to print (largest leaks first).", DefaultValueFactory = _ => 12 };

    public static Command Create()
    {
        Command command = new("attribute", "LRP / CRP heatmap of one image: which pixels made the model decide.")
        {
            Model.Model, InputOption, IndexOption, CompositeOption, ConditionOption, StartOption, ExcludeParallelOption, TargetOption,
            EpsilonOption, StabilizerOption, GammaOption, Model.Arch, OutOption, ScaleOption, LayersOption, Output.Json,
        };
        command.SetAction(p => Run(new Request(Model.ModelOf(p), p.GetValue(InputOption)!, p.GetValue(IndexOption),
            p.GetValue(CompositeOption)!, p.GetValue(ConditionOption) ?? [], p.GetValue(StartOption), p.GetValue(ExcludeParallelOption),
            p.GetValue(TargetOption), p.GetValue(EpsilonOption), p.GetValue(StabilizerOption), p.GetValue(GammaOption), Model.ArchOf(p), p.GetValue(OutOption)!, p.GetValue(ScaleOption),
            p.GetValue(LayersOption), Output.JsonOf(p)), Console.Out));
        return command;
    }

    internal sealed record Request(string Model, string Input, int Index, string Composite, string[] Conditions, string? Start,
        bool ExcludeParallel, int? Target, float Epsilon, float Stabilizer, float Gamma, string? Arch, string Out, int Scale, int Layers, bool Json);

    internal static int Run(Request q, TextWriter output)
    {
        if (!File.Exists(q.Input)) throw new UnravelUserException($"{q.Input}: no such file.", "pass --input PATH to a PNG/JPEG image or an IDX file");
        if (q.Scale < 0) throw new UnravelUserException($"--scale must be ≥ 0 (got {q.Scale}).");
        if (!(q.Epsilon >= 0) || !(q.Stabilizer >= 0) || !(q.Gamma >= 0))
            throw new UnravelUserException($"--epsilon {q.Epsilon}, --stabilizer {q.Stabilizer} and --gamma {q.Gamma} must be ≥ 0.", "zennit's defaults are 1e-6, 1e-6 and 0.25");
        string? outDir = Path.GetDirectoryName(Path.GetFullPath(q.Out));
        if (outDir is not null && !Directory.Exists(outDir)) throw new UnravelUserException($"{q.Out}: the folder {outDir} does not exist.", "create it first");
        LoadedModel loaded = ModelReference.Load(q.Model, q.Arch);
        if (loaded.Model is not IImageClassifier classifier)
            throw new UnravelUserException($"attribute: {loaded.Architecture} is not an image classifier.", "LRP heatmaps need an image model");
        IReadOnlyList<string>? classNames = loaded.ClassNames ?? classifier.ClassNames ?? (classifier.Classes == 1000 ? Assets.ImageNetClasses() : null);

        (Tensor x, bool imageNet) = LoadInput(classifier, q.Input, q.Index);                      // [1, C, H, W]
        var settings = new CompositeSettings
        {
            Epsilon = q.Epsilon,
            Stabilizer = q.Stabilizer,
            Gamma = q.Gamma,
            Low = imageNet ? [.. ImagePreprocessing.ImageNet.Mean.Zip(ImagePreprocessing.ImageNet.Std, (m, s) => -m / s)] : [0f],
            High = imageNet ? [.. ImagePreprocessing.ImageNet.Mean.Zip(ImagePreprocessing.ImageNet.Std, (m, s) => (1 - m) / s)] : [1f],
        };
        Composite composite;
        try { composite = Composites.Create(q.Composite, settings); }
        catch (ArgumentException e) { throw new UnravelUserException(e.Message, "pick one with --composite NAME"); }
        ChannelCondition[] conditions;
        try { conditions = q.Conditions.Select(ChannelCondition.Parse).ToArray(); }
        catch (FormatException e) { throw new UnravelUserException(e.Message, "write --condition LAYER:CHANNEL, e.g. --condition layer2.0:5"); }

        var options = new LrpOptions
        {
            Composite = composite,
            Canonizers = Canonizers.ResNet,
            Target = q.Target is { } t ? AttributionTarget.Class(t) : AttributionTarget.Predicted,
            Conditions = conditions,
            StartLayer = q.Start,
            ExcludeParallel = q.ExcludeParallel,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        LrpResult result = Lrp.Attribute(loaded.Model, x, options);
        double seconds = clock.Elapsed.TotalSeconds;

        int h = result.Heatmap.Dim(1), w = result.Heatmap.Dim(2);
        int scale = q.Scale > 0 ? q.Scale : Math.Max(1, (224 + Math.Max(h, w) - 1) / Math.Max(h, w));
        Png.Write(q.Out, Render(result.Heatmap, scale));

        float[] probs = Ops.Softmax(result.Output).ToArray();
        int top = Array.IndexOf(probs, probs.Max());
        int cls = result.Classes[0];
        string Label(int i) => classNames is not null && i < classNames.Count ? classNames[i] : $"class {i}";
        LayerConservation[] rows = result.Conservation.Layers.Where(l => l.Op is "conv2d" or "linear" or "add" or "adaptive_avg_pool2d" or "avg_pool2d")
            .ToArray();
        if (q.Json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                tool_version = AtlasFormat.ToolVersion, architecture = loaded.Architecture, source = loaded.Source, sha256 = loaded.Sha256,
                random_weights = loaded.RandomWeights, input = Path.GetFullPath(q.Input), index = q.Index, out_path = Path.GetFullPath(q.Out),
                composite = composite.ToString(), canonizers = options.Canonizers.Select(c => c.Name), conditions = q.Conditions, start = q.Start,
                exclude_parallel = q.ExcludeParallel, epsilon = q.Epsilon, stabilizer = q.Stabilizer, gamma = q.Gamma,
                top_class = new { id = top, label = Label(top), probability = probs[top] },
                explained_class = new { id = cls, label = Label(cls), logit = result.Output.Data[cls] },
                relevance = new { seeded = result.Conservation.Seeded, at_input = result.Conservation.AtInput },
                seconds,
                conservation = result.Conservation.Layers.Select(l => new { name = l.Name, op = l.Op, rule = l.Rule, @in = l.RelevanceIn, @out = l.RelevanceOut }),
            }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        output.WriteLine($"{loaded.Architecture} ({loaded.Source}) on {q.Input}{(IsIdx(q.Input) ? $" #{q.Index}" : "")}");
        if (loaded.RandomWeights) output.WriteLine("note: random weights — pass a checkpoint for meaningful heatmaps");
        output.WriteLine($"top class: {top} {Label(top)} (p = {probs[top].ToString("0.0000", CultureInfo.InvariantCulture)})");
        output.WriteLine($"explained: {cls} {Label(cls)}{(q.Start is not null ? $", walk started at {q.Start}" : "")}; composite {composite.Name}"
            + (conditions.Length > 0 ? $"; conditions {string.Join(" ", conditions.Select(c => c.ToString()))}{(q.ExcludeParallel ? " (exclude-parallel)" : "")}" : ""));
        output.WriteLine(FormattableString.Invariant($"relevance: seeded {result.Conservation.Seeded:G6}, at input {result.Conservation.AtInput:G6} ({seconds:0.00} s)"));
        output.WriteLine($"heatmap: {q.Out} ({w * scale}x{h * scale}, red positive / blue negative, scale ±{MaxAbs(result.Heatmap).ToString("G4", CultureInfo.InvariantCulture)})");
        output.WriteLine("conservation (parametric layers, sums and pools; largest relative leaks first):");
        var table = new TextTable("layer", "op", "rule", "relevance in", "relevance out", "leak %");
        foreach (LayerConservation l in rows.OrderByDescending(l => l.RelativeLeak).Take(q.Layers))
            table.Add(l.Name, l.Op, l.Rule, l.RelevanceIn.ToString("G6", CultureInfo.InvariantCulture), l.RelevanceOut.ToString("G6", CultureInfo.InvariantCulture),
                (100 * l.RelativeLeak).ToString("0.00", CultureInfo.InvariantCulture));
        output.Write(table);
        return ExitCodes.Success;
    }

    private static bool IsIdx(string path) => Path.GetFileName(path).Contains("idx", StringComparison.OrdinalIgnoreCase);

    private static (Tensor X, bool ImageNet) LoadInput(IImageClassifier model, string path, int index)
    {
        (int channels, int height, int width) = model.InputSize;
        if (IsIdx(path))
        {
            if (index < 0) throw new UnravelUserException($"--index {index} is negative.", "use 0 or more");
            Tensor images = Idx.ReadImages(path, (int)Math.Min(index + 1L, int.MaxValue));                                 // [≤ index + 1, 1, H, W] in [0, 1]
            if (index >= images.Dim(0))
                throw new UnravelUserException($"--index {index} is out of range: {path} holds {images.Dim(0)} images.", $"use 0..{images.Dim(0) - 1}");
            if (channels != 1) throw new UnravelUserException($"{path}: gray IDX images, but the model expects {channels} channels.");
            int hw = images.Dim(2) * images.Dim(3);
            return (Tensor.FromSpan(images.Data.Slice(index * hw, hw), [1, 1, images.Dim(2), images.Dim(3)]), false);
        }
        Image image;
        try { image = Image.Load(path); }
        catch (CheckpointFormatException e) { throw new UnravelUserException(e.Message, "pass a PNG or JPEG image, or an IDX file with --index"); }
        bool imageNet = channels == 3 && height >= 64;
        Tensor x = imageNet
            ? ImagePreprocessing.ImageNet.Apply(image)                                                         // [3, 224, 224]
            : ImageTransforms.ToTensor(ImageTransforms.Resize(channels == 1 ? image.ToGray() : image.ToRgb(), width, height)); // [C, H, W]
        return (x.Reshape(1, x.Dim(0), x.Dim(1), x.Dim(2)), imageNet);
    }

    private static float MaxAbs(Tensor t) => t.Length == 0 ? 0f : System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(t.Data) is var m ? Math.Abs(m) : 0f;

    /// <summary>Row 0 of a [N, H, W] heatmap as RGB: white at 0, red at +max|h|, blue at −max|h| (matplotlib "bwr").</summary>
    internal static Image Render(Tensor heatmap, int scale)
    {
        int h = heatmap.Dim(1), w = heatmap.Dim(2);
        float m = MaxAbs(heatmap);
        Image img = Image.Create(w * scale, h * scale, 3);
        for (int y = 0; y < h * scale; y++)
            for (int x = 0; x < w * scale; x++)
            {
                float v = m > 0 ? Math.Clamp(heatmap.Data[(y / scale) * w + x / scale] / m, -1f, 1f) : 0f;
                byte fade = (byte)MathF.Round(255f * (1f - MathF.Abs(v)));
                int o = (y * w * scale + x) * 3;
                img.Pixels[o] = v >= 0 ? (byte)255 : fade;
                img.Pixels[o + 1] = fade;
                img.Pixels[o + 2] = v <= 0 ? (byte)255 : fade;
            }
        return img;
    }
}
