// `unravel collect MODEL --data DATA --layers L1,L2 --out ATLAS`: one streaming pass over a dataset that records, per
// neuron of the given layers, its top-k reference inputs and statistics, written as an atlas (Unravel issue 5).

using System.CommandLine;
using System.Globalization;
using Unravel.Interpret.Collection;
using Unravel.IO.Text;
using Unravel.Models.Text;
using Unravel.Models.Vision;

namespace Unravel.Cli;

internal static class CollectCommand
{
    private static readonly Argument<string> ModelArgument = new("model")
    {
        Description = "Checkpoint file, Hugging Face folder, or architecture name (random weights).",
    };

    private static readonly Option<string> DataOption = new("--data", "-d")
    {
        Description = "Image model: an IDX images file (.gz ok; labels found next to it or given by --labels). Language model: a UTF-8 text file.",
        Required = true,
    };

    private static readonly Option<string> LayersOption = new("--layers", "-l")
    {
        Description = "Comma-separated hook names or globs (see `unravel inspect MODEL`).",
        Required = true,
    };

    private static readonly Option<string> OutOption = new("--out", "-o") { Description = "Atlas directory to create.", Required = true };
    private static readonly Option<string?> ArchOption = new("--arch") { Description = "Architecture of a checkpoint file (see `unravel models`)." };
    private static readonly Option<string?> LabelsOption = new("--labels") { Description = "IDX labels file (enables per-class top-k)." };
    private static readonly Option<int> KOption = new("--k") { Description = "Reference inputs kept per neuron and ranking.", DefaultValueFactory = _ => 100 };
    private static readonly Option<int> BatchOption = new("--batch") { Description = "Inputs per forward pass.", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> SeedOption = new("--seed") { Description = "Seed of the random samples (and of random weights).", DefaultValueFactory = _ => 0 };
    private static readonly Option<int?> LimitOption = new("--limit") { Description = "Use only the first N inputs." };
    private static readonly Option<int> WindowOption = new("--window") { Description = "Text: tokens per window.", DefaultValueFactory = _ => 64 };
    private static readonly Option<bool> BosOption = new("--bos") { Description = "Text: start each window with <|endoftext|>." };
    private static readonly Option<bool> NoPooledOption = new("--no-pooled") { Description = "Do not keep the pooled [inputs, C] vectors (no quantile samples; memory independent of the dataset)." };
    private static readonly Option<bool> ForceOption = new("--force") { Description = "Replace an existing atlas directory." };

    public static Command Create()
    {
        Command command = new("collect", "Record every neuron's top inputs and activation statistics over a dataset into an atlas.")
        {
            ModelArgument, DataOption, LayersOption, OutOption, ArchOption, LabelsOption, KOption, BatchOption, SeedOption, LimitOption,
            WindowOption, BosOption, NoPooledOption, ForceOption,
        };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(parse.GetValue(ModelArgument)!, parse.GetValue(DataOption)!,
            parse.GetValue(LayersOption)!, parse.GetValue(OutOption)!, parse.GetValue(ArchOption), parse.GetValue(LabelsOption), parse.GetValue(KOption),
            parse.GetValue(BatchOption), parse.GetValue(SeedOption), parse.GetValue(LimitOption), parse.GetValue(WindowOption), parse.GetValue(BosOption),
            !parse.GetValue(NoPooledOption), parse.GetValue(ForceOption)), Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Model, string Data, string Layers, string Out, string? Arch = null, string? Labels = null, int K = 100,
        int Batch = 64, int Seed = 0, int? Limit = null, int Window = 64, bool Bos = false, bool KeepPooled = true, bool Force = false);

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        if (r.K < 1) throw new UnravelUserException($"--k must be at least 1 (got {r.K}).");
        if (r.Batch < 1) throw new UnravelUserException($"--batch must be at least 1 (got {r.Batch}).");
        if (r.Limit is < 1) throw new UnravelUserException($"--limit must be at least 1 (got {r.Limit}).");
        string[] layers = r.Layers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (layers.Length == 0) throw new UnravelUserException("--layers is empty.", "pass hook names such as --layers layer2,layer3 (see `unravel inspect MODEL`)");
        if (Directory.Exists(r.Out) && !r.Force)
            throw new UnravelUserException($"{r.Out} already exists.", "choose another --out, or pass --force to replace it");
        if (!File.Exists(r.Data)) throw new UnravelUserException($"{r.Data}: no such file.", "pass --data PATH to an IDX images file or a text file");

        LoadedModel loaded = ModelResolver.Resolve(r.Model, r.Arch, r.Seed);
        string? labels = null;
        ICollectionDataset dataset = loaded.Model switch
        {
            IImageClassifier => Images(r, out labels),
            ILanguageModel lm => Text(r, lm),
            _ => throw new UnravelUserException($"collect: {loaded.Model.GetType().Name} is neither an image classifier nor a language model."),
        };
        var options = new CollectionOptions { TopK = r.K, ClassTopK = r.K, Seed = r.Seed, KeepPooled = r.KeepPooled, Quantiles = r.KeepPooled ? 11 : 0 };
        CollectionResult result;
        var bar = new ProgressBar(error);
        try
        {
            result = Collector.Run(loaded.Model, dataset, layers, options, r.Batch, r.Limit, bar, cancellationToken);
        }
        catch (ArgumentException e) when (e.Message.StartsWith("hooks:", StringComparison.Ordinal) || e.Message.StartsWith("collect:", StringComparison.Ordinal))
        {
            bar.Finish();
            throw new UnravelUserException(e.Message, $"see `unravel inspect {r.Model}` for the hook names");
        }
        bar.Finish();
        var provenance = new AtlasProvenance(ToolInfo.Version, loaded.Architecture, loaded.Source, loaded.Sha256, Path.GetFullPath(r.Data),
            dataset.Description, dataset.ContentSha256, "unravel " + string.Join(" ", Environment.GetCommandLineArgs().Skip(1)),
            dataset is ImageDataset ? new DatasetSpec("idx", Path.GetFullPath(r.Data), labels is null ? null : Path.GetFullPath(labels))
                : new DatasetSpec("text", Path.GetFullPath(r.Data), Window: r.Window, Bos: r.Bos));
        AtlasWriter.Write(r.Out, result, options, provenance, r.Force);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"collected {result.Inputs} inputs in {result.Elapsed.TotalSeconds:0.0} s ({result.Inputs / Math.Max(result.Elapsed.TotalSeconds, 1e-9):0.0} inputs/s, forward {result.ForwardTime.TotalSeconds:0.0} s) → {r.Out}"));
        var table = new TextTable("layer", "shape", "neurons", "NaN", "Inf", "mean of means");
        foreach (LayerStatisticsResult l in result.Layers)
            table.Add(l.Name, ShapeRules.Format(l.ItemShape), l.Neurons.ToString(CultureInfo.InvariantCulture), l.NanCount.Sum().ToString(CultureInfo.InvariantCulture),
                l.InfCount.Sum().ToString(CultureInfo.InvariantCulture), l.Mean.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average().ToString("0.0000", CultureInfo.InvariantCulture));
        output.Write(table);
        long bad = result.Layers.Sum(l => l.NanCount.Sum() + l.InfCount.Sum());
        if (bad > 0) error.WriteLine($"warning: {bad} NaN/Inf activation values were counted and left out of the statistics and rankings.");
        if (loaded.RandomWeights) output.WriteLine("note: random weights — pass a checkpoint for meaningful references");
        return ExitCodes.Success;
    }

    private static ImageDataset Images(Request r, out string? labels)
    {
        labels = r.Labels;
        if (labels is null)
        {
            string guess = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(r.Data))!, Path.GetFileName(r.Data).Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
            if (guess != Path.GetFullPath(r.Data) && File.Exists(guess)) labels = guess;
        }
        else if (!File.Exists(labels)) throw new UnravelUserException($"{labels}: no such file.", "pass --labels PATH to an IDX labels file, or leave it out");
        ImageDataset data = ImageDataset.FromIdx(r.Data, labels);
        return data;
    }

    private static TokenWindowDataset Text(Request r, ILanguageModel lm)
    {
        if (r.Window > lm.Context)
            throw new UnravelUserException($"--window {r.Window} exceeds the model's context of {lm.Context} tokens.", $"use --window {lm.Context} or less");
        try
        {
            return TokenWindowDataset.FromText(File.ReadAllText(r.Data), AtlasSources.Tokenizer(), r.Window, r.Bos, r.Data);
        }
        catch (ArgumentException e)
        {
            throw new UnravelUserException(e.Message, "use a longer text or a smaller --window");
        }
    }

    /// <summary>A one-line progress bar on stderr with rate and time left, redrawn at most 10 times a second.</summary>
    internal sealed class ProgressBar(TextWriter error) : IProgress<CollectionProgress>
    {
        private DateTime _last = DateTime.MinValue;
        private bool _drawn;

        public void Report(CollectionProgress p)
        {
            if (p.Done < p.Total && (DateTime.UtcNow - _last).TotalMilliseconds < 100) return;
            _last = DateTime.UtcNow;
            const int width = 30;
            int filled = p.Total == 0 ? width : (int)((long)width * p.Done / p.Total);
            error.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r[{new string('#', filled)}{new string('.', width - filled)}] {p.Done}/{p.Total}  {p.ItemsPerSecond:0.0}/s  ETA {p.Eta:hh\\:mm\\:ss}  "));
            _drawn = true;
        }

        public void Finish()
        {
            if (_drawn) error.WriteLine();
            _drawn = false;
        }
    }
}
