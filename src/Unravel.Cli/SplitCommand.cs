// `unravel split ATLAS --layer CONV --find` and `unravel split ATLAS --layer CONV --channel c --classes t1,t2 --out DIR`:
// channel splitting (Hesse, Fischer, Schaub-Meyer, Roth 2025, "Disentangling Polysemantic Channels in Convolutional
// Neural Networks", arXiv 2504.12939) over the atlas's model and labelled images. Parses the options into a SplitRequest,
// runs the SplitStage (which stores methods/split/<conv>/find.json and, for a split, neuron_<c>.json and the export) and
// prints the pairs, or ρ, the held-out D/A table and the largest logit change, as a table or JSON. `--find --neurons-shard i/n`
// searches slice i of the channels (SplitFindShards; `unravel merge-records` merges the slices into find.json).

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.Atlas;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Stages;
using Unravel.Interpret.ChannelSplit;

namespace Unravel.Cli;

internal static class SplitCommand
{
    private static readonly AtlasOptions Atlas = new("Atlas directory (from `unravel collect` with --labels).", "Convolution to split (a Conv2d path, e.g. layer3.0.conv2).");
    private static readonly OutputOptions Output = new(insteadOfTable: true);
    private static readonly Option<bool> FindOption = new("--find") { Description = "List the γ-polysemantic channels and class pairs (the default without --channel)." };
    private static readonly Option<double> TauOption = new("--tau") { Description = "τ: importance threshold of a channel's relevance share.", DefaultValueFactory = _ => 0.03 };
    private static readonly Option<double> POption = new("--p") { Description = "p: share of a class's images a channel must be important for.", DefaultValueFactory = _ => 0.75 };
    private static readonly Option<double> GammaOption = new("--gamma") { Description = "γ: a pair is polysemantic when its ARV cosine is below this.", DefaultValueFactory = _ => 0.5 };
    private static readonly Option<int?> ChannelOption = new("--channel", "-c") { Description = "Channel to split (with --classes and --out)." };
    private static readonly Option<string?> ClassesOption = new("--classes") { Description = "t1,t2: the class pair to split the channel into (t1 keeps the channel)." };
    private static readonly Option<string?> OutOption = new("--out", "-o") { Description = "Folder for model.safetensors, model.pth and split-card.json." };
    private static readonly Option<string?> TrainDataOption = new("--train-data")
    {
        Description = "IDX images to find pairs and choose ρ on (then the whole atlas dataset is held out); default: a seeded half of the atlas dataset.",
    };
    private static readonly Option<string?> TrainLabelsOption = new("--train-labels") { Description = "IDX labels of --train-data." };
    private static readonly Option<int?> SeedOption = new("--seed") { Description = "Seed of the half/half partition (default: the atlas's seed)." };
    private static readonly Option<int?> LimitOption = new("--limit") { Description = "Use only the first N images of the atlas dataset (before the half/half partition)." };
    private static readonly Option<int> FvStepsOption = new("--fv-steps")
    {
        Description = "Adam steps of the feature visualisations of the original and both split channels, stored in the atlas (0: none).",
        DefaultValueFactory = _ => FeatureImages.DefaultSteps,
    };
    private static readonly Option<int> BatchOption = new("--batch") { Description = "Images per batch.", DefaultValueFactory = _ => 100 };

    public static Command Create()
    {
        Command command = new("split", "Find γ-polysemantic channels of a convolution and split one into two (Hesse et al. 2025).")
            { Atlas.Atlas, Atlas.Layer, FindOption, TauOption, POption, GammaOption, ChannelOption, ClassesOption, OutOption, TrainDataOption, TrainLabelsOption,
              SeedOption, LimitOption, BatchOption, FvStepsOption, NeuronSelection.ShardOption, Output.Json };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(Atlas.AtlasOf(parse), Atlas.LayerOf(parse), parse.GetValue(FindOption),
            parse.GetValue(TauOption), parse.GetValue(POption), parse.GetValue(GammaOption), parse.GetValue(ChannelOption), parse.GetValue(ClassesOption),
            parse.GetValue(OutOption), parse.GetValue(TrainDataOption), parse.GetValue(TrainLabelsOption), parse.GetValue(SeedOption), parse.GetValue(LimitOption), parse.GetValue(BatchOption),
            Output.JsonOf(parse), parse.GetValue(FvStepsOption)) { NeuronsShard = parse.GetValue(NeuronSelection.ShardOption) }, Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Atlas, string Layer, bool Find = false, double Tau = 0.03, double P = 0.75, double Gamma = 0.5, int? Channel = null,
        string? Classes = null, string? Out = null, string? TrainData = null, string? TrainLabels = null, int? Seed = null, int? Limit = null, int Batch = 100, bool Json = false,
        int FvSteps = FeatureImages.DefaultSteps)
    {
        /// <summary>--neurons-shard: search slice i of n of the convolution's channels (merged by `unravel merge-records`).</summary>
        public string? NeuronsShard { get; init; }
    }

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        bool split = r.Channel is not null || r.Classes is not null || r.Out is not null;
        if (r.Find && split) throw new UnravelUserException("--find lists pairs; --channel, --classes and --out split one.", "run --find first, then the split");
        if (split && (r.Channel is null || r.Classes is null || r.Out is null))
            throw new UnravelUserException("a split needs --channel, --classes and --out together.", "e.g. --channel 47 --classes 1,9 --out split-47");
        if (r.Out is not null && File.Exists(r.Out)) throw new UnravelUserException($"--out {r.Out}: is an existing file; the split writes a folder.", "pass a folder path");
        if ((r.TrainData is null) != (r.TrainLabels is null)) throw new UnravelUserException("--train-data and --train-labels go together.");
        if (r.Limit is < 4) throw new UnravelUserException($"--limit must be at least 4 (got {r.Limit}).");
        if (r.Batch < 1) throw new UnravelUserException($"--batch must be at least 1 (got {r.Batch}).");
        if (r.FvSteps < 0) throw new UnravelUserException($"--fv-steps must be 0 (no feature visualisation) or more (got {r.FvSteps}).");
        if (!(r.Tau >= 0 && r.Tau <= 1)) throw new UnravelUserException($"--tau {r.Tau} must be in [0, 1].");
        if (!(r.P > 0 && r.P <= 1)) throw new UnravelUserException($"--p {r.P} must be in (0, 1].");
        if (!(r.Gamma > 0 && r.Gamma <= 1)) throw new UnravelUserException($"--gamma {r.Gamma} must be in (0, 1].");
        if (r.NeuronsShard is not null && split)
            throw new UnravelUserException("--neurons-shard fans out the search (--find) only; a split runs in one process.",
                $"run `unravel split {r.Atlas} --layer {r.Layer} --find --neurons-shard i/n` per shard, `unravel merge-records {r.Atlas}`, then the split");
        var request = new SplitRequest(NeuronSelection.Open(r.Atlas, r.NeuronsShard, error), r.Layer)
        {
            Options = new ChannelSplitFindOptions { Tau = r.Tau, P = r.P, Gamma = r.Gamma },
            Channel = r.Channel, Classes = r.Classes is null ? null : Pair(r.Classes), Out = r.Out, TrainImages = r.TrainData, TrainLabels = r.TrainLabels,
            Seed = r.Seed, Limit = r.Limit, Batch = r.Batch, FeatureSteps = split ? r.FvSteps : 0,
        };
        SplitStageResult result = ProgressBar.Around(error, bar => new SplitStage().Run(request, bar, cancellationToken));
        if (r.Json) WriteJson(output, result);
        else Render(result, output);
        return ExitCodes.Success;
    }

    private static (int, int) Pair(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int a)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int b))
            return (a, b);
        throw new UnravelUserException($"--classes: '{text}' is not two class indices.", "e.g. --classes 1,9");
    }

    private static string F(double v, string format = "0.000") => v.ToString(format, CultureInfo.InvariantCulture);

    private static string Name(IReadOnlyList<string>? names, int t) => names is not null && (uint)t < (uint)names.Count ? $"{t} {names[t]}" : t.ToString(CultureInfo.InvariantCulture);

    /// <summary>Prints the pairs, and the split's ρ, D/A table and logit change (also used by `unravel demo`).</summary>
    internal static void Render(SplitStageResult run, TextWriter output)
    {
        ChannelSplitFindResult find = run.Find;
        ChannelSplitFindOptions o = find.Options;
        IReadOnlyList<string>? names = run.Request.Session.ClassNames;
        SplitImagesRecord im = run.Images;
        output.WriteLine($"{find.Layer}: {find.Candidates.Count} candidate channels (relevant to ≥ 2 classes), {find.Cosines.Count} class pairs, " +
            $"{find.Pairs.Count} γ-polysemantic at τ {F(o.Tau, "0.###")}, p {F(o.P, "0.##")}, γ {F(o.Gamma, "0.##")}" +
            (run.FindReused ? " (stored search reused)" : $" in {F(run.Seconds["find"], "0.0")} s"));
        output.WriteLine($"images: {im.FindImages} for find/ρ, {im.EvaluationImages} held out for evaluation ({im.Partition}, seed {im.Seed})");
        var table = new TextTable("channel", "class 1", "class 2", "cosine", "γ-polysemantic");
        foreach (ArvCosine c in find.Cosines.OrderBy(c => c.Cosine).Take(12))
            table.Add(c.Channel.ToString(CultureInfo.InvariantCulture), Name(names, c.Class1), Name(names, c.Class2), F(c.Cosine), c.Polysemantic ? "yes" : "no");
        output.Write(table);
        if (find.Pairs.Count == 0)
            output.WriteLine($"no γ-polysemantic pair at γ {F(o.Gamma, "0.##")}" + (find.Cosines.Count > 0 ? $" (lowest cosine {F(find.Cosines.Min(c => c.Cosine))})" : ""));
        if (run.Split is not { } s) return;
        output.WriteLine($"split channel {s.Channel} into {Name(names, s.Class1)} | {Name(names, s.Class2)}: ρ {F(s.Card.Rho, "0.00")} (robust ρ {F(s.Rho.RobustRho, "0.00")}), " +
            $"input channels {s.Card.Concept1Inputs.Length}/{s.Card.Concept2Inputs.Length}/{s.Card.SharedInputs.Length} (concept 1/concept 2/shared), hook {s.Card.HookName}");
        var da = new TextTable("class", "images", "kept", "D1/A", "D2/A", "R/A");
        foreach (SplitClassSummary c in s.Classes)
            da.Add(Name(names, c.Class), c.Images.ToString(CultureInfo.InvariantCulture), c.Kept.ToString(CultureInfo.InvariantCulture), F(c.D1OverA), F(c.D2OverA), F(c.ROverA));
        output.Write(da);
        output.WriteLine($"max |logit difference| {s.MaxAbsLogitDiff.ToString("0.0e0", CultureInfo.InvariantCulture)} over {s.Images.EvaluationImages} held-out images " +
            $"(largest |logit| {F(s.MaxAbsLogit, "0.0")}); ρ {F(run.Seconds["rho"], "0.0")} s, evaluate {F(run.Seconds["evaluate"], "0.0")} s, " +
            $"split {F(run.Seconds["split"], "0.00")} s, export {F(run.Seconds["export"], "0.00")} s");
        if (s.Export is { } dir) output.WriteLine($"exported {Path.Combine(dir, "model.safetensors")}, model.pth, split-card.json");
        if (run.Request.FeatureSteps > 0)
            output.WriteLine($"feature visualisations of the original and both split channels ({run.Request.FeatureSteps} steps) in {F(run.Seconds["visualize"], "0.0")} s, stored beside the record");
    }

    private static void WriteJson(TextWriter output, SplitStageResult run)
    {
        ChannelSplitFindResult find = run.Find;
        SplitRecord? s = run.Split;
        output.WriteLine(JsonSerializer.Serialize(new
        {
            atlas = run.Request.Session.Root, layer = find.Layer, tau = find.Options.Tau, p = find.Options.P, gamma = find.Options.Gamma,
            images = new { partition = run.Images.Partition, seed = run.Images.Seed, find = run.Images.FindImages, evaluation = run.Images.EvaluationImages, find_source = run.Images.FindSource },
            find_reused = run.FindReused, find_file = run.FindFile, candidates = find.Candidates.Select(c => new { channel = c.Channel, classes = c.RelevantClasses }),
            cosines = find.Cosines.Select(c => new { channel = c.Channel, class1 = c.Class1, class2 = c.Class2, cosine = c.Cosine }),
            pairs = find.Pairs.Select(c => new { channel = c.Channel, class1 = c.Class1, class2 = c.Class2, cosine = c.Cosine }),
            seconds = run.Seconds,
            split = s is null ? null : new
            {
                channel = s.Channel, class1 = s.Class1, class2 = s.Class2, cosine = s.Cosine, rho = s.Card.Rho, robust_rho = s.Rho.RobustRho, hook = s.Card.HookName,
                mask = new { concept1 = s.Card.Concept1Inputs.Length, concept2 = s.Card.Concept2Inputs.Length, shared = s.Card.SharedInputs.Length },
                max_abs_logit_diff = s.MaxAbsLogitDiff, max_abs_logit = s.MaxAbsLogit, export = s.Export, file = run.SplitFile,
                classes = s.Classes.Select(c => new { @class = c.Class, images = c.Images, kept = c.Kept, d1_over_a = Num(c.D1OverA), d2_over_a = Num(c.D2OverA), r_over_a = Num(c.ROverA) }),
            },
        }, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static double? Num(double v) => double.IsFinite(v) ? v : null;
}
