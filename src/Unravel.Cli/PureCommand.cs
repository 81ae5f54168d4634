// `unravel pure ATLAS --layer L [--lower L'] [--k K|auto] [--neurons i,j | --all] [--references N] [--evaluate]`:
// PURE virtual neurons (Dreyer, Purelku et al. 2024, "PURE: Turning Polysemantic Neurons Into Pure Features by
// Identifying Relevant Circuits", CVPR Workshops, arXiv 2404.06453): parses the options into a PureRequest, runs the
// PureStage (circuits, k-means, routing, optional judge evaluation and naive-baseline timing; it stores
// methods/pure/<layer>/neuron_<j>.json and the atlas.db rows) and prints a table or JSON.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.Interpret.Collection;
using Unravel.Interpret.Pure;
using Unravel.Atlas;
using Unravel.Atlas.Stages;

namespace Unravel.Cli;

internal static class PureCommand
{
    private static readonly AtlasOptions Atlas = new(layerDescription: "Collected layer whose neurons to split.");
    private static readonly NeuronSelection Selection = NeuronSelection.WithAll("Split");
    private static readonly OutputOptions Output = new();
    private static readonly Option<string?> LowerOption = new("--lower") { Description = "Lower layer the circuits are over (default: the previous stage/block of --layer)." };
    private static readonly Option<string> KOption = new("--k") { Description = "Virtual neurons per neuron (2 … 5; the paper uses 2), or 'auto' (extension: best silhouette of k = 2 … 5).", DefaultValueFactory = _ => "2" };
    private static readonly Option<int> ReferencesOption = new("--references", "-r") { Description = "Top-activating references clustered per neuron (at most the atlas's top-k).", DefaultValueFactory = _ => 100 };
    private static readonly Option<bool> WideOption = new("--wide") { Description = "Also route the neuron's per-class top inputs (default: its top-max and top-mean inputs)." };
    private static readonly Option<int> BatchOption = new("--batch") { Description = "Inputs per forward of the circuit pass.", DefaultValueFactory = _ => 128 };
    private static readonly Option<int> RestartsOption = new("--restarts") { Description = "k-means++ restarts.", DefaultValueFactory = _ => 10 };
    private static readonly Option<int?> SeedOption = new("--seed") { Description = "Seed of k-means and the random baseline (default: the atlas's seed)." };
    private static readonly Option<bool> EvaluateOption = new("--evaluate") { Description = "Compare PURE, activation clustering and random labels in a judge embedding." };
    private static readonly Option<string?> JudgeOption = new("--judge") { Description = "Judge for --evaluate: a model checkpoint file or folder (with --judge-arch), or 'pixels' (the images themselves); default: the judge model named in the analysed model's card (\"judge\"), else the analysed model's own --judge-layer (not independent)." };
    private static readonly Option<string?> JudgeArchOption = new("--judge-arch") { Description = "Architecture of a --judge checkpoint file." };
    private static readonly Option<string> JudgeLayerOption = new("--judge-layer") { Description = "Judge hook whose pooled activation is the embedding.", DefaultValueFactory = _ => "avgpool" };
    private static readonly Option<int> CompareNaiveOption = new("--compare-naive") { Description = "Time the naive baseline (one full forward+backward per pair) on this many pairs and report the speed-up.", DefaultValueFactory = _ => 0 };

    public static Command Create()
    {
        Command command = new("pure", "Split polysemantic neurons into PURE virtual neurons by clustering their circuits.")
        {
            Atlas.Atlas, Atlas.Layer, LowerOption, KOption, Selection.Neurons, Selection.All, NeuronSelection.ShardOption, ReferencesOption, WideOption, BatchOption, RestartsOption,
            SeedOption, EvaluateOption, JudgeOption, JudgeArchOption, JudgeLayerOption, CompareNaiveOption, Output.Json,
        };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(Atlas.AtlasOf(parse), Atlas.LayerOf(parse),
            parse.GetValue(LowerOption), parse.GetValue(KOption)!, Selection.NeuronsOf(parse), Selection.AllOf(parse), parse.GetValue(ReferencesOption),
            parse.GetValue(WideOption), parse.GetValue(BatchOption), parse.GetValue(RestartsOption), parse.GetValue(SeedOption), parse.GetValue(EvaluateOption),
            parse.GetValue(JudgeOption), parse.GetValue(JudgeArchOption), parse.GetValue(JudgeLayerOption)!, parse.GetValue(CompareNaiveOption),
            Output.JsonOf(parse)) { NeuronsShard = parse.GetValue(NeuronSelection.ShardOption) }, Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Atlas, string Layer, string? Lower = null, string K = "2", string? Neurons = null, bool All = false,
        int References = 100, bool Wide = false, int Batch = 128, int Restarts = 10, int? Seed = null, bool Evaluate = false, string? Judge = null,
        string? JudgeArch = null, string JudgeLayer = "avgpool", int CompareNaive = 0, bool Json = false)
    {
        public string? NeuronsShard { get; init; }
    }

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        bool autoK = string.Equals(r.K, "auto", StringComparison.OrdinalIgnoreCase);
        int k = 2;
        if (!autoK && (!int.TryParse(r.K, NumberStyles.None, CultureInfo.InvariantCulture, out k) || k < 1 || k > 20))
            throw new UnravelUserException($"--k must be a number of virtual neurons (1 … 20) or 'auto' (got '{r.K}').", "the paper uses --k 2; try 2 … 5");
        if (r.References < 2) throw new UnravelUserException($"--references must be at least 2 (got {r.References}).");
        if (r.Batch < 1) throw new UnravelUserException($"--batch must be at least 1 (got {r.Batch}).");
        if (r.Restarts < 1) throw new UnravelUserException($"--restarts must be at least 1 (got {r.Restarts}).");
        if (r.CompareNaive < 0) throw new UnravelUserException($"--compare-naive must be ≥ 0 (got {r.CompareNaive}).");
        IReadOnlyList<int>? neurons = NeuronSelection.Parse(r.Neurons, r.All);

        var request = new PureRequest(NeuronSelection.Open(r.Atlas, r.NeuronsShard, error), r.Layer, neurons)
        {
            Lower = r.Lower, K = k, AutoK = autoK, References = r.References, Wide = r.Wide, Batch = r.Batch, Restarts = r.Restarts, Seed = r.Seed,
            Evaluate = r.Evaluate, Judge = r.Judge, JudgeArch = r.JudgeArch, JudgeLayer = r.JudgeLayer, CompareNaive = r.CompareNaive,
        };
        error.WriteLine($"pure: {r.Layer}, {(request.Neurons is null ? "every neuron" : $"{request.Neurons.Count} neurons")}");
        PureStageResult result = ProgressBar.Around(error, bar => new PureStage().Run(request, bar, cancellationToken));
        if (r.Json) WriteJson(output, request.Session, result);
        else WriteText(output, result);
        return Note(result, r.Json ? error : output);
    }

    /// <summary>Prints the table of a PURE run (also used by `unravel demo`).</summary>
    internal static void Render(PureStageResult result, TextWriter output)
    {
        WriteText(output, result);
        Note(result, output);
    }

    private static int Note(PureStageResult result, TextWriter output)
    {
        if (result.RandomWeights) output.WriteLine("note: random weights — pass a checkpoint for meaningful virtual neurons");
        return ExitCodes.Success;
    }

    private static void WriteText(TextWriter output, PureStageResult run)
    {
        int references = run.Request.References;
        (PureResult result, PureEvaluation? evaluation, PureNaiveComparison? naive, string folder, int atlasK) = (run.Result, run.Evaluation, run.Naive, run.Folder, run.AtlasK);
        CircuitResult c = result.Circuits;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Options.Layer} ← {result.Options.LowerLayer}: {c.Circuits.Count} circuits over {c.Inputs} inputs in {c.Elapsed.TotalSeconds:0.00} s " +
            $"({c.Circuits.Count / Math.Max(c.Elapsed.TotalSeconds, 1e-9):0} circuits/s, {(c.SubNetwork ? "sub-network only" : "full replay")}) → {folder}"));
        if (atlasK < references) output.WriteLine($"note: the atlas keeps {atlasK} references per neuron; using {atlasK}");
        var table = new TextTable("neuron", "refs", "k", "sizes", "top input per virtual neuron", "silhouette");
        foreach (PureNeuronResult n in result.Neurons)
            table.Add(n.Neuron.ToString(CultureInfo.InvariantCulture), n.References.Length.ToString(CultureInfo.InvariantCulture), n.K.ToString(CultureInfo.InvariantCulture),
                string.Join("/", n.VirtualNeurons.Select(v => v.Size)),
                string.Join(" ", n.VirtualNeurons.Select(v => v.TopInputs.Length > 0 ? $"#{v.TopInputs[0]}" : "-")),
                n.KSelection is { Count: > 0 } s ? s[n.K].ToString("0.000", CultureInfo.InvariantCulture) : "");
        output.Write(table);
        if (evaluation is not null)
        {
            output.WriteLine($"evaluation: mean Euclidean distance of references in the judge embedding ({evaluation.Judge}), over {evaluation.Summary[0].Neurons} neurons");
            if (!evaluation.JudgeIndependent) output.WriteLine("warning: the judge is the analysed model itself; pass --judge MODEL --judge-arch A for an independent check");
            var eval = new TextTable("method", "intra", "inter", "gap", "± se");
            foreach (MethodScore m in evaluation.Summary)
                eval.Add(m.Method, F(m.Intra), F(m.Inter), F(m.Gap), F(m.GapStdError));
            output.Write(eval);
        }
        if (naive is not null)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"naive baseline (full forward+backward per pair, parameter gradients included as in PyTorch) on {naive.Pairs} pairs: {naive.SecondsPerPair * 1e3:0.00} ms/pair vs {naive.FastSecondsPerPair * 1e3:0.000} ms/pair → {naive.Speedup:0.0}× faster; max |Δ| {naive.MaxAbsDiff:0.0e+0}"));
    }

    private static void WriteJson(TextWriter output, AtlasSession atlas, PureStageResult run)
    {
        (PureResult result, PureEvaluation? evaluation, PureNaiveComparison? naive, string folder) = (run.Result, run.Evaluation, run.Naive, run.Folder);
        var doc = new JsonObject
        {
            ["atlas"] = atlas.Root, ["layer"] = result.Options.Layer, ["lower_layer"] = result.Options.LowerLayer, ["folder"] = folder,
            ["circuits"] = result.Circuits.Circuits.Count, ["inputs"] = result.Circuits.Inputs, ["seconds"] = result.Circuits.Elapsed.TotalSeconds,
            ["sub_network"] = result.Circuits.SubNetwork,
            ["neurons"] = new JsonArray(result.Neurons.Select(n => (JsonNode)new JsonObject
            {
                ["neuron"] = n.Neuron, ["k"] = n.K, ["references"] = n.References.Length,
                ["sizes"] = new JsonArray(n.VirtualNeurons.Select(v => (JsonNode)v.Size).ToArray()),
                ["top1"] = new JsonArray(n.VirtualNeurons.Select(v => (JsonNode?)(v.TopInputs.Length > 0 ? v.TopInputs[0] : null)).ToArray()),
            }).ToArray()),
        };
        if (evaluation is not null)
            doc["evaluation"] = new JsonObject
            {
                ["judge"] = evaluation.Judge, ["judge_independent"] = evaluation.JudgeIndependent,
                ["summary"] = new JsonArray(evaluation.Summary.Select(m => (JsonNode)new JsonObject
                {
                    ["method"] = m.Method, ["intra"] = Finite(m.Intra), ["inter"] = Finite(m.Inter), ["gap"] = Finite(m.Gap), ["neurons"] = m.Neurons,
                }).ToArray()),
            };
        if (naive is not null)
            doc["naive"] = new JsonObject
            {
                ["pairs"] = naive.Pairs, ["seconds_per_pair"] = naive.SecondsPerPair, ["fast_seconds_per_pair"] = naive.FastSecondsPerPair,
                ["speedup"] = naive.Speedup, ["max_abs_diff"] = naive.MaxAbsDiff,
            };
        output.WriteLine(doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static string F(double v) => double.IsFinite(v) ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "n/a";

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
