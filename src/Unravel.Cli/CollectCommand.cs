// `unravel collect MODEL --data DATA --layers L1,L2 --out ATLAS`: one streaming pass over a dataset that records, per
// neuron of the given layers, its top-k reference inputs and statistics, written as an atlas (CollectStage).

using System.CommandLine;
using System.Globalization;
using Unravel.IO.Images;
using Unravel.Interpret.Collection;
using Unravel.IO.Text;
using Unravel.Models.Text;
using Unravel.Models.Vision;
using Unravel.Atlas;
using Unravel.Atlas.Scale;
using Unravel.Atlas.Stages;

namespace Unravel.Cli;

internal static class CollectCommand
{
    private static readonly ModelReferenceOptions Model = new();
    private static readonly AtlasOutputOptions AtlasOut = new("Atlas directory to create.");

    private static readonly Option<string> DataOption = new("--data", "-d")
    {
        Description = "Image model: an IDX images file (.gz ok; labels found next to it or given by --labels) or a folder with one subfolder of "
            + "PNG/JPEG images per class. Language model: a UTF-8 text file, or tagged Brown corpus files (a folder, or --format brown).",
        Required = true,
    };

    private static readonly Option<string> FormatOption = new("--format")
    {
        Description = "Dataset format: auto (folder = image-folder or brown, file = idx or text), idx, image-folder, text, brown.",
        DefaultValueFactory = _ => "auto",
    };

    private static readonly Option<string> LayersOption = new("--layers", "-l")
    {
        Description = "Comma-separated hook names or globs (see `unravel inspect MODEL`).",
        Required = true,
    };

    private static readonly Option<string?> LabelsOption = new("--labels") { Description = "IDX labels file (enables per-class top-k)." };
    private static readonly Option<int> KOption = new("--k") { Description = "Reference inputs kept per neuron and ranking.", DefaultValueFactory = _ => 100 };
    private static readonly Option<int> BatchOption = new("--batch") { Description = "Inputs per forward pass.", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> SeedOption = new("--seed") { Description = "Seed of the random samples (and of random weights).", DefaultValueFactory = _ => 0 };
    private static readonly Option<int?> LimitOption = new("--limit") { Description = "Use only the first N inputs." };
    private static readonly Option<int> WindowOption = new("--window") { Description = "Text: tokens per window.", DefaultValueFactory = _ => 64 };
    private static readonly Option<bool> BosOption = new("--bos") { Description = "Text: start each window with <|endoftext|>." };
    private static readonly Option<bool> NoPooledOption = new("--no-pooled") { Description = "Do not keep the pooled [inputs, C] vectors (no quantile samples; memory independent of the dataset)." };
    private static readonly Option<int?> ResizeOption = new("--resize") { Description = "Image folder: resize the shorter side to N (default: 256 for 224-pixel models, else the model's input size)." };
    private static readonly Option<int?> CropOption = new("--crop") { Description = "Image folder: centre crop N×N (default: the model's input size)." };
    private static readonly Option<string?> MeanOption = new("--mean") { Description = "Image folder: per-channel Normalize mean, e.g. 0.485,0.456,0.406 (default: ImageNet for 3 channels, 0 for 1)." };
    private static readonly Option<string?> StdOption = new("--std") { Description = "Image folder: per-channel Normalize std (default: ImageNet for 3 channels, 1 for 1)." };
    private static readonly Option<bool> CropsOption = new("--crops") { Description = "Images: save a PNG crop (receptive field around the argmax) of every top-k reference under layers/<layer>/crops/." };
    private static readonly Option<string?> ShardOption = new("--shard")
    {
        Description = "Collect shard i of n (contiguous inputs, bounds on multiples of --batch), e.g. 0/4, or auto (from SLURM_ARRAY_TASK_ID/COUNT, "
            + "JOB_COMPLETION_INDEX with --shards N, or OMPI_COMM_WORLD_RANK/SIZE); combine the shards with `unravel merge` (same --batch for all).",
    };
    private static readonly Option<int?> ShardsOption = new("--shards") { Description = "With --shard auto: the number of shards (needed for a Kubernetes Indexed Job, checked elsewhere)." };
    private static readonly Option<bool> ResumeOption = new("--resume") { Description = "Continue a killed run from its checkpoint (ATLAS.checkpoint) instead of starting over." };
    private static readonly Option<bool> RelevanceOption = new("--relevance") { Description = "Images: also rank inputs per channel by CRP relevance (LRP from the target logit, summed over positions) → top_rel_* arrays." };
    private static readonly Option<string> CompositeOption = new("--composite") { Description = "LRP composite of --relevance (see `unravel attribute --help`).", DefaultValueFactory = _ => "epsilon-plus-flat" };
    private static readonly Option<string> RelevanceTargetOption = new("--relevance-target") { Description = "Class explained by --relevance: predicted or label.", DefaultValueFactory = _ => "predicted" };
    private static readonly Option<string> PoolOption = new("--pool")
    {
        Description = "Transformer token layers [N, T, D]: none (every token is a position), cls (the class token, as a ViT's head reads it) or mean (mean over tokens).",
        DefaultValueFactory = _ => "none",
    };
    private static readonly Option<double> CheckpointOption = new("--checkpoint-every") { Description = "Seconds between checkpoints (0 = after every batch; negative = none).", DefaultValueFactory = _ => 30 };

    public static Command Create()
    {
        Command command = new("collect", "Record every neuron's top inputs and activation statistics over a dataset into an atlas.")
        {
            Model.Model, DataOption, LayersOption, AtlasOut.Out, Model.Arch, LabelsOption, KOption, BatchOption, SeedOption, LimitOption,
            WindowOption, BosOption, NoPooledOption, AtlasOut.Force, FormatOption, ResizeOption, CropOption, MeanOption, StdOption, CropsOption,
            ShardOption, ShardsOption, ResumeOption, CheckpointOption, RelevanceOption, CompositeOption, RelevanceTargetOption, PoolOption,
        };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(Model.ModelOf(parse), parse.GetValue(DataOption)!,
            parse.GetValue(LayersOption)!, AtlasOut.OutOf(parse), Model.ArchOf(parse), parse.GetValue(LabelsOption), parse.GetValue(KOption),
            parse.GetValue(BatchOption), parse.GetValue(SeedOption), parse.GetValue(LimitOption), parse.GetValue(WindowOption), parse.GetValue(BosOption),
            !parse.GetValue(NoPooledOption), AtlasOut.ForceOf(parse))
        {
            Format = parse.GetValue(FormatOption)!, Resize = parse.GetValue(ResizeOption), Crop = parse.GetValue(CropOption), Mean = parse.GetValue(MeanOption),
            Std = parse.GetValue(StdOption), Crops = parse.GetValue(CropsOption), Shard = parse.GetValue(ShardOption), Shards = parse.GetValue(ShardsOption), Resume = parse.GetValue(ResumeOption),
            CheckpointEvery = parse.GetValue(CheckpointOption), Pool = parse.GetValue(PoolOption)!,
            Relevance = parse.GetValue(RelevanceOption), Composite = parse.GetValue(CompositeOption)!, RelevanceTarget = parse.GetValue(RelevanceTargetOption)!,
        }, Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Model, string Data, string Layers, string Out, string? Arch = null, string? Labels = null, int K = 100,
        int Batch = 64, int Seed = 0, int? Limit = null, int Window = 64, bool Bos = false, bool KeepPooled = true, bool Force = false)
    {
        public string Format { get; init; } = "auto";
        public int? Resize { get; init; }
        public int? Crop { get; init; }
        public string? Mean { get; init; }
        public string? Std { get; init; }
        public bool Crops { get; init; }
        public string? Shard { get; init; }
        public int? Shards { get; init; }
        public bool Resume { get; init; }
        public double CheckpointEvery { get; init; } = 30;
        public bool Relevance { get; init; }
        public string Composite { get; init; } = "epsilon-plus-flat";
        public string RelevanceTarget { get; init; } = "predicted";
        public string Pool { get; init; } = "none";
    }

    /// <summary>Largest --k: the top-k tables hold K × neurons entries per ranking and class.</summary>
    internal const int MaxK = 10_000;

    /// <summary>Largest --batch: one batch's input and activations are held at once.</summary>
    internal const int MaxBatch = 65_536;

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        if (File.Exists(r.Out))
            throw new UnravelUserException($"--out {r.Out} is a file; an atlas is a folder.", "choose another --out");
        string checkpoint = CollectStage.CheckpointPath(r.Out);
        using AtlasLock writing = AtlasLock.Acquire(r.Out, "collect", cancellationToken);
        if (r.Resume && !File.Exists(checkpoint))
            throw new UnravelUserException($"--resume: there is no checkpoint {checkpoint} to resume from.",
                "run without --resume to start over (a checkpoint is written every --checkpoint-every seconds while collecting)");
        CollectRequest request = Prepare(r, output);
        if (r.Resume) error.WriteLine($"resuming from {checkpoint}");
        CollectStageResult collected = ProgressBar.Around(error, bar => new CollectStage().Run(request, bar, cancellationToken));
        Render(collected, output, error);
        return ExitCodes.Success;
    }

    /// <summary>The stage request of <paramref name="r"/>: options checked, the model loaded and the dataset opened (a scheduler
    /// shard's source said on <paramref name="output"/>).</summary>
    /// <exception cref="UnravelUserException">An option value or combination is wrong, or --data is missing.</exception>
    internal static CollectRequest Prepare(Request r, TextWriter output)
    {
        if (r.K is < 1 or > MaxK)
            throw new UnravelUserException($"--k must be between 1 and {MaxK} (got {r.K}).", "the top-k tables keep K entries per neuron, ranking and class; e.g. --k 100");
        if (r.Batch is < 1 or > MaxBatch)
            throw new UnravelUserException($"--batch must be between 1 and {MaxBatch} (got {r.Batch}).", "e.g. --batch 64");
        if (r.Limit is < 1) throw new UnravelUserException($"--limit must be at least 1 (got {r.Limit}).");
        string[] layers = r.Layers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (layers.Length == 0) throw new UnravelUserException("--layers is empty.", "pass hook names such as --layers layer2,layer3 (see `unravel inspect MODEL`)");
        AtlasOutputOptions.CheckFree(r.Out, r.Force);
        if (!File.Exists(r.Data) && !Directory.Exists(r.Data))
            throw new UnravelUserException($"{r.Data}: no such file or folder.", "pass --data PATH to an IDX images file, an image folder, a text file or Brown corpus files");
        if (r.Shards is not null && r.Shard is null) throw new UnravelUserException("--shards goes with --shard auto.", "pass --shard auto --shards N, or drop --shards");
        (int Index, int Count)? shard = null;
        if (r.Shard is not null)
        {
            (Shard resolved, string source) = SchedulerShard.Resolve(r.Shard, r.Shards, Environment.GetEnvironmentVariable, "--shard");
            if (r.Shard == "auto") output.WriteLine($"shard {resolved} from {source}");
            shard = (resolved.Index, resolved.Count);
        }
        ViTPool? pool = r.Pool switch
        {
            "none" => null, "cls" => ViTPool.Cls, "mean" => ViTPool.Mean,
            _ => throw new UnravelUserException($"--pool {r.Pool} is not one of none, cls, mean."),
        };

        LoadedModel loaded = ModelReference.Load(r.Model, r.Arch, r.Seed);
        if (r.Relevance) CollectRelevance.CheckModel(loaded);
        (ICollectionDataset dataset, DatasetSpec spec) = Dataset(r, loaded);
        return new CollectRequest(loaded, dataset, spec, layers, r.Out)
        {
            K = r.K, Batch = r.Batch, Seed = r.Seed, Limit = r.Limit, KeepPooled = r.KeepPooled, Pool = pool, Shard = shard, Resume = r.Resume,
            CheckpointEvery = r.CheckpointEvery, Relevance = r.Relevance ? CollectRelevance.Options(r, loaded, dataset) : null, Crops = r.Crops, Force = r.Force,
        };
    }

    /// <summary>The summary of a collection: time and rate, the shard's inputs, one row per layer, NaN/Inf and random-weight notes.</summary>
    internal static void Render(CollectStageResult collected, TextWriter output, TextWriter error)
    {
        CollectionResult result = collected.Result;
        CollectRequest r = collected.Request;
        if (result.Relevance is { } relevance)
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"relevance pass: {relevance.Elapsed.TotalSeconds:0.0} s"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"collected {result.Inputs} inputs in {result.Elapsed.TotalSeconds:0.0} s ({result.Inputs / Math.Max(result.Elapsed.TotalSeconds, 1e-9):0.0} inputs/s, forward {result.ForwardTime.TotalSeconds:0.0} s), written in {collected.WriteTime.TotalSeconds:0.0} s → {r.Out}"));
        if (r.Shard is { } s) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"shard {s.Index}/{s.Count}: inputs {result.FirstInput} … {result.FirstInput + result.Inputs - 1}"));
        var table = new TextTable("layer", "shape", "neurons", "NaN", "Inf", "mean of means");
        foreach (LayerStatisticsResult l in result.Layers)
            table.Add(l.Name, ShapeRules.Format(l.ItemShape), l.Neurons.ToString(CultureInfo.InvariantCulture), l.NanCount.Sum().ToString(CultureInfo.InvariantCulture),
                l.InfCount.Sum().ToString(CultureInfo.InvariantCulture), l.Mean.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average().ToString("0.0000", CultureInfo.InvariantCulture));
        output.Write(table);
        long bad = result.Layers.Sum(l => l.NanCount.Sum() + l.InfCount.Sum());
        if (bad > 0) error.WriteLine($"warning: {bad} NaN/Inf activation values were counted and left out of the statistics and rankings.");
        if (r.Model.RandomWeights) output.WriteLine("note: random weights — pass a checkpoint for meaningful references");
    }

    /// <summary>The dataset --data names, in the format --format gives or the model and path suggest.</summary>
    private static (ICollectionDataset, DatasetSpec) Dataset(Request r, LoadedModel loaded)
    {
        string full = Path.GetFullPath(r.Data);
        bool folder = Directory.Exists(r.Data);
        string format = r.Format switch
        {
            "auto" => loaded.Model switch
            {
                IImageClassifier => folder ? "image-folder" : "idx",
                ILanguageModel => folder ? "brown" : "text",
                _ => throw new UnravelUserException($"collect: {loaded.Model.GetType().Name} is neither an image classifier nor a language model."),
            },
            "idx" or "image-folder" or "text" or "brown" => r.Format,
            _ => throw new UnravelUserException($"--format {r.Format} is not one of auto, idx, image-folder, text, brown."),
        };
        bool image = format is "idx" or "image-folder";
        if (image && loaded.Model is not IImageClassifier || !image && loaded.Model is not ILanguageModel)
            throw new UnravelUserException($"--format {format} does not fit {loaded.Architecture}.", "image data needs an image model, text data a language model");
        if (!image) CheckWindow(r, (ILanguageModel)loaded.Model);
        DatasetSpec spec = format switch
        {
            "idx" => new DatasetSpec("idx", full, Labels(r) is { } labels ? Path.GetFullPath(labels) : null),
            "image-folder" => Preprocessing(r, (IImageClassifier)loaded.Model) is var pre
                ? new DatasetSpec("image-folder", full, Resize: pre.ResizeTo, Crop: pre.CropTo, Grayscale: pre.Grayscale, Mean: [.. pre.Mean], Std: [.. pre.Std])
                : null!,
            _ => new DatasetSpec(format, full, Window: r.Window, Bos: r.Bos),
        };
        try
        {
            return (spec.Open(loaded.Model, r.Limit ?? int.MaxValue), spec);   // --limit honoured while reading an IDX file
        }
        catch (IOException e)
        {
            throw new UnravelUserException(e.Message, $"check --data {r.Data} and --format {format}");
        }
    }

    /// <summary>torchvision-style transforms for an image folder: defaults fit the model's input.</summary>
    private static ImagePreprocessing Preprocessing(Request r, IImageClassifier model) => ImageInputs.Preprocessing(model, r.Resize, r.Crop, r.Mean, r.Std);

    /// <summary>--labels, or the IDX labels file next to the images when it exists.</summary>
    private static string? Labels(Request r) => ImageInputs.Labels(r.Data, r.Labels);

    private static void CheckWindow(Request r, ILanguageModel lm)
    {
        if (r.Window > lm.Context)
            throw new UnravelUserException($"--window {r.Window} exceeds the model's context of {lm.Context} tokens.", $"use --window {lm.Context} or less");
    }


}
