// `unravel attribute MODEL --input FILE|FOLDER|IDX|NPY [--composite NAME] [--condition LAYER:CH] [--target C] --out heatmap.png`:
// an LRP (or CRP, with conditions) heatmap of one image or of a batch, rendered red (positive) / blue (negative) on a
// symmetric scale, with the top class, the total relevance and the per-layer conservation report. Attribution as data:
// --save-relevance writes the raw input relevance as .npy, --layer-relevance the relevance at inner layers (masked by the
// CRP conditions), with a JSON sidecar recording the seed, the composite and the preprocessing. LRP: Bach et al. 2015;
// CRP: Achtibat et al. 2023, §2 (conditional relevance R(x | θ)).

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.Atlas.Report;
using Unravel.Interpret.Attribution;
using Unravel.Interpret.Collection;
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
        Description = "Image to explain (PNG/JPEG); a folder of images; an IDX image file (e.g. t10k-images-idx3-ubyte.gz) with --index/--count; "
            + "or a .npy array [C, H, W] or [N, C, H, W] already preprocessed for the model (used as stored).",
        Required = true,
    };

    private static readonly Option<int> IndexOption = new("--index") { Description = "First input of an IDX file, folder or .npy batch.", DefaultValueFactory = _ => 0 };
    private static readonly Option<int?> CountOption = new("--count") { Description = "How many inputs from --index on (default: 1 of an IDX file, all of a folder or .npy batch)." };
    private static readonly Option<int> BatchOption = new("--batch") { Description = "Inputs per attribution pass.", DefaultValueFactory = _ => 16 };
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
    private static readonly Option<string?> OutOption = new("--out", "-o") { Description = "Heatmap PNG to write (a folder for several inputs: one PNG each)." };
    private static readonly Option<int> ScaleOption = new("--scale") { Description = "Pixel magnification of the PNG (0: auto, ≥ 224 px).", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> LayersOption = new("--layers") { Description = "Conservation rows to print (largest leaks first).", DefaultValueFactory = _ => 12 };
    private static readonly Option<int?> ResizeOption = new("--resize") { Description = "Images: resize the shorter side to N (default: 256 for 224-pixel models, else the model's input size; 0: none)." };
    private static readonly Option<int?> CropOption = new("--crop") { Description = "Images: centre crop N×N (default: the model's input size; 0: none)." };
    private static readonly Option<string?> MeanOption = new("--mean") { Description = "Per-channel Normalize mean (default: ImageNet's for 224-pixel RGB models, else none)." };
    private static readonly Option<string?> StdOption = new("--std") { Description = "Per-channel Normalize std (default: ImageNet's for 224-pixel RGB models, else none)." };
    private static readonly Option<bool> NoPreprocessOption = new("--no-preprocess") { Description = "Feed the input as read: no resize, crop or normalisation (pixels / 255 for images)." };
    private static readonly Option<string?> SaveRelevanceOption = new("--save-relevance") { Description = "Write the raw input relevance [N, C, H, W] as FILE.npy (float32), with FILE.json recording seed, composite and preprocessing." };
    private static readonly Option<string[]> LayerRelevanceOption = new("--layer-relevance")
    {
        Description = "Also write the relevance at LAYER (repeatable; masked by the CRP conditions) as FILE.LAYER.npy next to --save-relevance FILE.npy.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Command Create()
    {
        Command command = new("attribute", "LRP / CRP heatmaps and relevance arrays: which pixels made the model decide.")
        {
            Model.Model, InputOption, IndexOption, CountOption, BatchOption, CompositeOption, ConditionOption, StartOption, ExcludeParallelOption, TargetOption,
            EpsilonOption, StabilizerOption, GammaOption, Model.Arch, OutOption, ScaleOption, LayersOption, Output.Json,
            ResizeOption, CropOption, MeanOption, StdOption, NoPreprocessOption, SaveRelevanceOption, LayerRelevanceOption,
        };
        command.SetAction(p => Run(new Request(Model.ModelOf(p), p.GetValue(InputOption)!, p.GetValue(IndexOption),
            p.GetValue(CompositeOption)!, p.GetValue(ConditionOption) ?? [], p.GetValue(StartOption), p.GetValue(ExcludeParallelOption),
            p.GetValue(TargetOption), p.GetValue(EpsilonOption), p.GetValue(StabilizerOption), p.GetValue(GammaOption), Model.ArchOf(p), p.GetValue(OutOption),
            p.GetValue(ScaleOption), p.GetValue(LayersOption), Output.JsonOf(p))
        {
            Count = p.GetValue(CountOption), Batch = p.GetValue(BatchOption), Resize = p.GetValue(ResizeOption), Crop = p.GetValue(CropOption),
            Mean = p.GetValue(MeanOption), Std = p.GetValue(StdOption), NoPreprocess = p.GetValue(NoPreprocessOption),
            SaveRelevance = p.GetValue(SaveRelevanceOption), LayerRelevance = p.GetValue(LayerRelevanceOption) ?? [],
        }, Console.Out, Console.Error));
        return command;
    }

    internal sealed record Request(string Model, string Input, int Index, string Composite, string[] Conditions, string? Start,
        bool ExcludeParallel, int? Target, float Epsilon, float Stabilizer, float Gamma, string? Arch, string? Out, int Scale, int Layers, bool Json)
    {
        public int? Count { get; init; }
        public int Batch { get; init; } = 16;
        public int? Resize { get; init; }
        public int? Crop { get; init; }
        public string? Mean { get; init; }
        public string? Std { get; init; }
        public bool NoPreprocess { get; init; }
        public string? SaveRelevance { get; init; }
        public string[] LayerRelevance { get; init; } = [];
    }

    // The inputs of one run: names, a loader of rows [start, start + count), and how they were prepared.
    private sealed record Inputs(string Kind, string[] Names, Func<int, int, Tensor> Load, float[] Mean, float[] Std, JsonObject Preprocessing);

    internal static int Run(Request q, TextWriter output) => Run(q, output, TextWriter.Null);

    internal static int Run(Request q, TextWriter output, TextWriter error)
    {
        bool folder = Directory.Exists(q.Input);
        if (!folder && !File.Exists(q.Input))
            throw new UnravelUserException($"{q.Input}: no such file or folder.", "pass --input PATH to a PNG/JPEG image, a folder of them, an IDX file or a .npy array");
        if (q.Scale < 0) throw new UnravelUserException($"--scale must be ≥ 0 (got {q.Scale}).", "0 picks a scale that makes the PNG at least 224 pixels wide");
        if (q.Batch < 1) throw new UnravelUserException($"--batch must be at least 1 (got {q.Batch}).", "e.g. --batch 16");
        if (q.Index < 0) throw new UnravelUserException($"--index must be ≥ 0 (got {q.Index}).", "inputs count from 0");
        if (q.Count is < 1) throw new UnravelUserException($"--count must be at least 1 (got {q.Count}).", "leave it out for the default");
        if (!(q.Epsilon >= 0) || !(q.Stabilizer >= 0) || !(q.Gamma >= 0))
            throw new UnravelUserException($"--epsilon {q.Epsilon}, --stabilizer {q.Stabilizer} and --gamma {q.Gamma} must be ≥ 0.", "zennit's defaults are 1e-6, 1e-6 and 0.25");
        if (q.NoPreprocess && (q.Resize is not null || q.Crop is not null || q.Mean is not null || q.Std is not null))
            throw new UnravelUserException("--no-preprocess cannot be combined with --resize, --crop, --mean or --std.", "drop --no-preprocess, or the other options");
        if (string.IsNullOrEmpty(q.Out) && q.SaveRelevance is null)
            throw new UnravelUserException("attribute writes nothing: give --out heatmap.png, --save-relevance FILE.npy, or both.", "e.g. --out heatmap.png");
        if (q.SaveRelevance is not null && !q.SaveRelevance.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new UnravelUserException($"--save-relevance {q.SaveRelevance}: the file must end in .npy.", "e.g. --save-relevance relevance.npy");
        if (q.LayerRelevance.Length > 0 && q.SaveRelevance is null)
            throw new UnravelUserException($"--layer-relevance {q.LayerRelevance[0]} needs --save-relevance FILE.npy: the layer maps go next to it as FILE.<layer>.npy.",
                "add --save-relevance relevance.npy");
        // The folder a file goes into must exist; a heatmap folder (--out ending in a separator) is created, its parent must exist.
        foreach (string? path in new[] { q.Out, q.SaveRelevance })
            if (!string.IsNullOrEmpty(path) && Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path))) is { } dir && !Directory.Exists(dir))
                throw new UnravelUserException($"{path}: the folder {dir} does not exist.", "create it first");
        LoadedModel loaded = ModelReference.Load(q.Model, q.Arch);
        if (loaded.Model is not IImageClassifier classifier)
            throw new UnravelUserException($"attribute: {loaded.Architecture} is not an image classifier.", "LRP heatmaps need an image model");
        IReadOnlyList<string>? classNames = loaded.ClassNames ?? classifier.ClassNames ?? (classifier.Classes == 1000 ? Assets.ImageNetClasses() : null);

        Inputs inputs = LoadInputs(classifier, q, folder);
        int n = inputs.Names.Length;
        bool many = n > 1;
        if (many && !string.IsNullOrEmpty(q.Out))
        {
            if (File.Exists(q.Out)) throw new UnravelUserException($"--out {q.Out}: {n} inputs need a folder for their heatmaps, and this is a file.", "pass --out FOLDER");
            Directory.CreateDirectory(q.Out);
        }
        var settings = new CompositeSettings
        {
            Epsilon = q.Epsilon,
            Stabilizer = q.Stabilizer,
            Gamma = q.Gamma,
            Low = [.. inputs.Mean.Zip(inputs.Std, (m, s) => (0f - m) / s)],
            High = [.. inputs.Mean.Zip(inputs.Std, (m, s) => (1 - m) / s)],
        };
        Composite composite;
        try { composite = Composites.Create(q.Composite, settings); }
        catch (ArgumentException e) { throw new UnravelUserException(e.Message, "pick one with --composite NAME"); }
        ChannelCondition[] conditions;
        try { conditions = q.Conditions.Select(ChannelCondition.Parse).ToArray(); }
        catch (FormatException e) { throw new UnravelUserException(e.Message, "write --condition LAYER:CHANNEL, e.g. --condition layer2.0:5"); }
        string[] layers = [.. q.LayerRelevance.Distinct(StringComparer.Ordinal)];
        foreach (string layer in layers)
            if (layer.Length == 0 || layer.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || layer.Contains('*', StringComparison.Ordinal))
                throw new UnravelUserException($"--layer-relevance '{layer}' is not a layer name.", "name one hook point, e.g. layer2.0 (see `unravel inspect MODEL`)");

        var options = new LrpOptions
        {
            Composite = composite,
            Canonizers = Canonizers.ResNet,
            Target = q.Target is { } t ? AttributionTarget.Class(t) : AttributionTarget.Predicted,
            Conditions = conditions,
            StartLayer = q.Start,
            ExcludeParallel = q.ExcludeParallel,
            RecordLayers = layers,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var results = new List<LrpResult>();
        var bar = new ProgressBar(error);
        try
        {
            for (int start = 0; start < n; start += q.Batch)
            {
                int count = Math.Min(q.Batch, n - start);
                results.Add(Lrp.Attribute(loaded.Model, inputs.Load(start, count), options));
                if (many)
                {
                    double rate = (start + count) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    bar.Report(new CollectionProgress(start + count, n, rate, TimeSpan.FromSeconds((n - start - count) / Math.Max(rate, 1e-9))));
                }
            }
        }
        finally
        {
            bar.Finish();
        }
        double seconds = clock.Elapsed.TotalSeconds;

        Tensor heatmaps = Concat(results.Select(r => r.Heatmap));                                          // [N, H, W]
        Tensor logits = Concat(results.Select(r => r.Output));                                             // [N, K]
        int[] classes = [.. results.SelectMany(r => r.Classes)];
        int h = heatmaps.Dim(1), w = heatmaps.Dim(2), hw = h * w, k = logits.Dim(1);
        int scale = q.Scale > 0 ? q.Scale : Math.Max(1, (224 + Math.Max(h, w) - 1) / Math.Max(h, w));
        string[] pngs = new string[n];
        if (!string.IsNullOrEmpty(q.Out))
            for (int i = 0; i < n; i++)
            {
                pngs[i] = many ? Path.Combine(q.Out, $"{i + q.Index:00000}-{Path.GetFileNameWithoutExtension(inputs.Names[i].Replace('#', '_'))}.png") : q.Out;
                Png.Write(pngs[i], HeatmapColors.RenderSigned(heatmaps.Data.Slice(i * hw, hw), h, w, scale));
            }
        JsonObject? arrays = q.SaveRelevance is null ? null : SaveArrays(q, loaded, inputs, composite, options, results, logits, classes);

        string Label(int i) => classNames is not null && i < classNames.Count ? classNames[i] : $"class {i}";
        var rows = new List<object>();
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = logits.Data.Slice(i * k, k);
            float[] probs = Ops.Softmax(Tensor.FromSpan(row, [k])).ToArray();
            int top = Array.IndexOf(probs, probs.Max());
            int cls = classes[i];
            rows.Add(new
            {
                index = i + (q.Input.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || folder || ImageInputs.IsIdx(q.Input) ? q.Index : 0), input = inputs.Names[i],
                out_path = pngs[i] is null ? null : Path.GetFullPath(pngs[i]),
                top_class = new { id = top, label = Label(top), probability = probs[top] },
                explained_class = new { id = cls, label = Label(cls), logit = row[cls] },
                relevance_at_input = System.Numerics.Tensors.TensorPrimitives.Sum(heatmaps.Data.Slice(i * hw, hw)),
            });
        }
        ConservationReport? conservation = n == 1 ? results[0].Conservation : null;
        if (q.Json)
        {
            var common = new
            {
                tool_version = AtlasFormat.ToolVersion, architecture = loaded.Architecture, source = loaded.Source, sha256 = loaded.Sha256,
                random_weights = loaded.RandomWeights, input = Path.GetFullPath(q.Input), index = q.Index, out_path = string.IsNullOrEmpty(q.Out) ? null : Path.GetFullPath(q.Out),
                composite = composite.ToString(), canonizers = options.Canonizers.Select(c => c.Name), conditions = q.Conditions, start = q.Start,
                exclude_parallel = q.ExcludeParallel, epsilon = q.Epsilon, stabilizer = q.Stabilizer, gamma = q.Gamma, preprocessing = inputs.Preprocessing,
                saved = arrays, seconds,
            };
            if (conservation is not null)
            {
                var r0 = results[0];
                float[] probs = Ops.Softmax(r0.Output).ToArray();
                int top = Array.IndexOf(probs, probs.Max());
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    common.tool_version, common.architecture, common.source, common.sha256, common.random_weights, common.input, common.index, common.out_path,
                    common.composite, common.canonizers, common.conditions, common.start, common.exclude_parallel, common.epsilon, common.stabilizer, common.gamma,
                    common.preprocessing, common.saved,
                    top_class = new { id = top, label = Label(top), probability = probs[top] },
                    explained_class = new { id = classes[0], label = Label(classes[0]), logit = r0.Output.Data[classes[0]] },
                    relevance = new { seeded = conservation.Seeded, at_input = conservation.AtInput },
                    seconds,
                    conservation = conservation.Layers.Select(l => new { name = l.Name, op = l.Op, rule = l.Rule, @in = l.RelevanceIn, @out = l.RelevanceOut }),
                }, new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Success;
            }
            foreach (object row in rows) output.WriteLine(JsonSerializer.Serialize(row));
            output.WriteLine(JsonSerializer.Serialize(new { summary = common, count = n }));
            return ExitCodes.Success;
        }

        output.WriteLine($"{loaded.Architecture} ({loaded.Source}) on {q.Input}{(n == 1 && ImageInputs.IsIdx(q.Input) ? $" #{q.Index}" : n > 1 ? $": {n} inputs from #{q.Index}" : "")}");
        if (loaded.RandomWeights) output.WriteLine("note: random weights — pass a checkpoint for meaningful heatmaps");
        output.WriteLine($"composite {composite.Name}" + (conditions.Length > 0 ? $"; conditions {string.Join(" ", conditions.Select(c => c.ToString()))}{(q.ExcludeParallel ? " (exclude-parallel)" : "")}" : "")
            + (q.Start is not null ? $"; walk started at {q.Start}" : "") + $"; preprocessing: {inputs.Preprocessing["summary"]}");
        if (conservation is not null)
        {
            float[] probs = Ops.Softmax(results[0].Output).ToArray();
            int top = Array.IndexOf(probs, probs.Max());
            output.WriteLine($"top class: {top} {Label(top)} (p = {probs[top].ToString("0.0000", CultureInfo.InvariantCulture)})");
            output.WriteLine($"explained: {classes[0]} {Label(classes[0])}");
            output.WriteLine(FormattableString.Invariant($"relevance: seeded {conservation.Seeded:G6}, at input {conservation.AtInput:G6} ({seconds:0.00} s)"));
            if (pngs[0] is not null)
                output.WriteLine($"heatmap: {q.Out} ({w * scale}x{h * scale}, red positive / blue negative, scale ±{MaxAbs(heatmaps.Data).ToString("G4", CultureInfo.InvariantCulture)})");
        }
        else
        {
            var table = new TextTable("#", "input", "top class", "p", "explained", "relevance at input");
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> row = logits.Data.Slice(i * k, k);
                float[] probs = Ops.Softmax(Tensor.FromSpan(row, [k])).ToArray();
                int top = Array.IndexOf(probs, probs.Max());
                table.Add((i + q.Index).ToString(CultureInfo.InvariantCulture), inputs.Names[i], $"{top} {Label(top)}", probs[top].ToString("0.0000", CultureInfo.InvariantCulture),
                    $"{classes[i]} {Label(classes[i])}", System.Numerics.Tensors.TensorPrimitives.Sum(heatmaps.Data.Slice(i * hw, hw)).ToString("G6", CultureInfo.InvariantCulture));
            }
            output.Write(table);
            output.WriteLine(FormattableString.Invariant($"{n} inputs in {seconds:0.00} s") + (string.IsNullOrEmpty(q.Out) ? "" : $"; heatmaps in {q.Out}"));
        }
        if (arrays is not null)
            foreach ((string name, JsonNode? a) in arrays["arrays"]!.AsObject())
                output.WriteLine($"{name}: {a!["file"]} {a["shape"]!.ToJsonString()} float32");
        if (arrays is not null) output.WriteLine($"sidecar: {arrays["sidecar"]}");
        if (conservation is not null)
        {
            LayerConservation[] layerRows = conservation.Layers.Where(l => l.Op is "conv2d" or "linear" or "add" or "adaptive_avg_pool2d" or "avg_pool2d").ToArray();
            output.WriteLine("conservation (parametric layers, sums and pools; largest relative leaks first):");
            var table = new TextTable("layer", "op", "rule", "relevance in", "relevance out", "leak %");
            foreach (LayerConservation l in layerRows.OrderByDescending(l => l.RelativeLeak).Take(q.Layers))
                table.Add(l.Name, l.Op, l.Rule, l.RelevanceIn.ToString("G6", CultureInfo.InvariantCulture), l.RelevanceOut.ToString("G6", CultureInfo.InvariantCulture),
                    (100 * l.RelativeLeak).ToString("0.00", CultureInfo.InvariantCulture));
            output.Write(table);
        }
        return ExitCodes.Success;
    }

    // Writes FILE.npy (input relevance), FILE.<layer>.npy (layer relevance) and FILE.json (the sidecar); returns the sidecar.
    private static JsonObject SaveArrays(Request q, LoadedModel loaded, Inputs inputs, Composite composite, LrpOptions options,
        List<LrpResult> results, Tensor logits, int[] classes)
    {
        string file = q.SaveRelevance!;
        string stem = file[..^".npy".Length];
        var arrays = new JsonObject();
        void Save(string name, string path, Tensor t)
        {
            Npy.Write(path, t);
            arrays[name] = new JsonObject { ["file"] = Path.GetFileName(path), ["shape"] = new JsonArray([.. t.Shape.ToArray().Select(d => (JsonNode)d)]), ["dtype"] = "<f4" };
        }
        Save("input_relevance", file, Concat(results.Select(r => r.InputRelevance)));
        foreach (string layer in options.RecordLayers)
            Save(layer, $"{stem}.{layer}.npy", Concat(results.Select(r => r.LayerRelevance[layer])));
        int k = logits.Dim(1);
        string sidecar = stem + ".json";
        var json = new JsonObject
        {
            ["tool_version"] = AtlasFormat.ToolVersion,
            ["model"] = new JsonObject { ["architecture"] = loaded.Architecture, ["source"] = loaded.Source, ["sha256"] = loaded.Sha256, ["random_weights"] = loaded.RandomWeights },
            ["input"] = Path.GetFullPath(q.Input),
            ["inputs"] = new JsonArray([.. inputs.Names.Select(s => (JsonNode)s!)]),
            ["first_index"] = q.Index,
            ["preprocessing"] = inputs.Preprocessing.DeepClone(),
            ["composite"] = new JsonObject
            {
                ["name"] = composite.Name, ["rules"] = composite.ToString(), ["epsilon"] = q.Epsilon, ["stabilizer"] = q.Stabilizer, ["gamma"] = q.Gamma,
                ["low"] = new JsonArray([.. inputs.Mean.Zip(inputs.Std, (m, s) => (JsonNode)((0f - m) / s))]),
                ["high"] = new JsonArray([.. inputs.Mean.Zip(inputs.Std, (m, s) => (JsonNode)((1 - m) / s))]),
            },
            ["canonizers"] = new JsonArray([.. options.Canonizers.Select(c => (JsonNode)c.Name!)]),
            ["conditions"] = new JsonArray([.. q.Conditions.Select(c => (JsonNode)c!)]),
            ["exclude_parallel"] = q.ExcludeParallel,
            ["seed"] = q.Start is null
                ? new JsonObject
                {
                    ["kind"] = "logit", ["description"] = "the walk starts at the explained class's logit, seeded with its value (total relevance = f_c(x))",
                    ["target"] = q.Target is null ? "predicted" : "given", ["classes"] = new JsonArray([.. classes.Select(c => (JsonNode)c)]),
                    ["values"] = new JsonArray([.. classes.Select((c, i) => (JsonNode)logits.Data[i * k + c])]),
                }
                : new JsonObject
                {
                    ["kind"] = "layer", ["layer"] = q.Start, ["description"] = "the walk starts at this layer, seeded with its ReLU'd activation masked by the conditions",
                },
            ["arrays"] = arrays,
        };
        AtomicFile.WriteAllText(sidecar, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return new JsonObject { ["sidecar"] = Path.GetFullPath(sidecar), ["arrays"] = arrays.DeepClone() };
    }

    private static Tensor Concat(IEnumerable<Tensor> parts)
    {
        Tensor[] all = [.. parts];
        if (all.Length == 1) return all[0];
        int n = all.Sum(t => t.Dim(0));
        var data = new float[all.Sum(t => t.Length)];
        int o = 0;
        foreach (Tensor t in all)
        {
            t.Data.CopyTo(data.AsSpan(o));
            o += t.Length;
        }
        return Tensor.FromArray(data, [n, .. all[0].Shape.ToArray()[1..]]);
    }

    // The inputs selected by --input/--index/--count, prepared for the model.
    private static Inputs LoadInputs(IImageClassifier model, Request q, bool folder)
    {
        (int channels, int height, int width) = model.InputSize;
        bool npy = !folder && q.Input.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);
        bool idx = !folder && !npy && ImageInputs.IsIdx(q.Input);
        bool imageNet = channels == 3 && height >= 64;
        float[] defaultMean = imageNet ? [.. ImagePreprocessing.ImageNet.Mean] : new float[channels];
        float[] defaultStd = imageNet ? [.. ImagePreprocessing.ImageNet.Std] : [.. Enumerable.Repeat(1f, channels)];
        if ((npy || idx) && (q.Resize is not null || q.Crop is not null))
            throw new UnravelUserException($"--resize/--crop apply to PNG/JPEG images, not to {(npy ? "a .npy array" : "IDX images")} ({q.Input}).", "leave them out; --mean/--std still apply");
        if (!folder && !npy && !idx && (q.Index != 0 || q.Count is not null))
            throw new UnravelUserException($"--index/--count select inputs of a folder, IDX file or .npy batch, not of the single image {q.Input}.", "leave them out");

        if (npy || idx)
        {
            Tensor all;
            if (npy)
            {
                Tensor a = Npy.Read(q.Input);
                if (a.Rank is not (3 or 4))
                    throw new UnravelUserException($"{q.Input}: the array is {a.ShapeString}; attribute takes [C, H, W] or [N, C, H, W].", $"save one input as [{channels}, {height}, {width}]");
                all = a.Rank == 3 ? a.Reshape(1, a.Dim(0), a.Dim(1), a.Dim(2)) : a;                         // [N, C, H, W]
            }
            else
            {
                all = Idx.ReadImages(q.Input, q.Index + (q.Count ?? 1));                                    // [N, 1, H, W] in [0, 1]
            }
            if (all.Dim(1) != channels)
                throw new UnravelUserException($"{q.Input}: {all.Dim(1)}-channel input, but {model.GetType().Name} expects {channels} channels.", "pass inputs shaped for this model");
            int total = all.Dim(0);
            if (q.Index >= total)
                throw new UnravelUserException($"--index {q.Index} is out of range: {q.Input} holds {total} inputs.", $"use 0..{total - 1}");
            int count = Math.Min(q.Count ?? (npy ? total - q.Index : 1), total - q.Index);
            // Without --mean/--std an IDX input is pixels / 255 and a .npy input is taken as preprocessed for the model, so the
            // box rule's bounds follow the model's own normalisation for it.
            bool normalise = !q.NoPreprocess && (q.Mean is not null || q.Std is not null);
            float[] mean = npy ? defaultMean : new float[channels], std = npy ? defaultStd : [.. Enumerable.Repeat(1f, channels)];
            if (normalise)
                (mean, std) = CheckNormalisation(ImageInputs.Floats(q.Mean, new float[channels], "--mean"),
                    ImageInputs.Floats(q.Std, [.. Enumerable.Repeat(1f, channels)], "--std"), channels, q);
            int per = all.Length / total;
            string[] names = [.. Enumerable.Range(q.Index, count).Select(i => $"#{i}")];
            string summary = normalise ? $"as stored, then Normalize(mean [{string.Join(", ", mean)}], std [{string.Join(", ", std)}])"
                : npy ? "none (the .npy array is used as stored)" : "none (IDX bytes / 255)";
            return new Inputs(npy ? "npy" : "idx", names, (start, n) =>
            {
                var x = Tensor.FromArray(all.Data.Slice((q.Index + start) * per, n * per).ToArray(), [n, all.Dim(1), all.Dim(2), all.Dim(3)]); // [n, C, H, W]
                return normalise ? ImageTransforms.Normalize(x, mean, std) : x;
            }, mean, std, Describe(summary, null, normalise ? mean : null, normalise ? std : null));
        }

        ImagePreprocessing pre = q.NoPreprocess
            ? new ImagePreprocessing { ResizeTo = 0, CropTo = 0, Grayscale = channels == 1, Mean = new float[channels], Std = [.. Enumerable.Repeat(1f, channels)] }
            : ImageInputs.Preprocessing(model, q.Resize, q.Crop, q.Mean, q.Std, smallRgbImageNet: false);
        string[] files;
        string[] shown;
        if (folder)
        {
            ImageFolder listing = ImageFolder.List(q.Input);
            if (listing.Files.Count == 0)
                throw new UnravelUserException($"{q.Input}: no .png/.jpg/.jpeg images in the folder or its class subfolders.", "pass a folder of images");
            if (q.Index >= listing.Files.Count)
                throw new UnravelUserException($"--index {q.Index} is out of range: {q.Input} holds {listing.Files.Count} images.", $"use 0..{listing.Files.Count - 1}");
            files = [.. listing.Files.Skip(q.Index).Take(q.Count ?? int.MaxValue)];
            shown = [.. files.Select(f => Path.GetRelativePath(q.Input, f))];
        }
        else
        {
            files = [q.Input];
            shown = [Path.GetFileName(q.Input)];
        }
        string imageSummary = q.NoPreprocess ? "none (pixels / 255)"
            : $"resize {pre.ResizeTo}, crop {pre.CropTo}, Normalize(mean [{string.Join(", ", pre.Mean)}], std [{string.Join(", ", pre.Std)}])";
        return new Inputs(folder ? "folder" : "image", shown, (start, n) =>
        {
            Image[] images = [.. files.Skip(start).Take(n).Select(f =>
            {
                try { return Image.Load(f); }
                catch (CheckpointFormatException e) { throw new UnravelUserException(e.Message, "pass PNG or JPEG images, an IDX file with --index, or a .npy array"); }
            })];
            try { return pre.ApplyBatch(images); }                                                          // [n, C, H, W]
            catch (ArgumentException e) { throw new UnravelUserException($"{q.Input}: {e.Message}", "set --crop N so every image comes out the same size"); }
        }, [.. pre.Mean], [.. pre.Std], Describe(imageSummary, pre, q.NoPreprocess ? null : [.. pre.Mean], q.NoPreprocess ? null : [.. pre.Std]));
    }

    private static (float[], float[]) CheckNormalisation(float[] mean, float[] std, int channels, Request q)
    {
        if (mean.Length != channels || std.Length != channels)
            throw new UnravelUserException($"--mean/--std need {channels} values for {channels}-channel input (got {mean.Length} and {std.Length}).",
                "give both, one value per channel, e.g. --mean 0.5 --std 0.5");
        if (std.Any(v => v == 0))
            throw new UnravelUserException($"--std {q.Std}: every value must be finite and non-zero.", "e.g. --std 0.229,0.224,0.225");
        return (mean, std);
    }

    private static JsonObject Describe(string summary, ImagePreprocessing? pre, float[]? mean, float[]? std) => new()
    {
        ["summary"] = summary,
        ["resize"] = pre?.ResizeTo,
        ["crop"] = pre?.CropTo,
        ["normalize"] = mean is null || std is null ? null
            : new JsonObject { ["mean"] = new JsonArray([.. mean.Select(v => (JsonNode)v)]), ["std"] = new JsonArray([.. std.Select(v => (JsonNode)v)]) },
    };

    private static float MaxAbs(ReadOnlySpan<float> t) => t.Length == 0 ? 0f : Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(t));

    /// <summary>Row 0 of a [N, H, W] heatmap as RGB: white at 0, red at +max|h|, blue at −max|h| (matplotlib "bwr").</summary>
    internal static Image Render(Tensor heatmap, int scale) => HeatmapColors.RenderSigned(heatmap.Data, heatmap.Dim(1), heatmap.Dim(2), scale);
}
