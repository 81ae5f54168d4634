// `unravel pure ATLAS --layer L [--lower L'] [--k K|auto] [--neurons i,j | --all] [--references N] [--evaluate]`:
// splits a layer's neurons into PURE virtual neurons (Dreyer, Purelku et al., CVPR-W 2024, arXiv 2404.06453; Unravel
// issue 7; spec /work/shared/methods/pure-lrp-crp.md) from the references an atlas recorded, routes every recorded
// candidate input to a virtual neuron, writes methods/pure/<layer>/neuron_<j>.json and atlas.db rows, and optionally
// evaluates the split in a judge embedding and times the naive one-pass-per-pair baseline.
//
// Default lower layer: the hook that fires last before L among the hooks at L's own nesting depth, internal
// "hook_*" points excluded ("layer3" → "layer2", "layer3.1" → "layer3.0", "fc" → "avgpool"), i.e. the previous
// stage or block as the authors use the previous residual stage. It need not have been collected.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.Interpret.Collection;
using Unravel.Interpret.Pure;
using Unravel.Nn;

namespace Unravel.Cli;

internal static class PureCommand
{
    private static readonly Argument<string> AtlasArgument = new("atlas") { Description = "Atlas directory (from `unravel collect`)." };
    private static readonly Option<string> LayerOption = new("--layer", "-l") { Description = "Collected layer whose neurons to split.", Required = true };
    private static readonly Option<string?> LowerOption = new("--lower") { Description = "Lower layer the circuits are over (default: the previous stage/block of --layer)." };
    private static readonly Option<string> KOption = new("--k") { Description = "Virtual neurons per neuron (2 … 5; the paper uses 2), or 'auto' (extension: best silhouette of k = 2 … 5).", DefaultValueFactory = _ => "2" };
    private static readonly Option<string?> NeuronsOption = new("--neurons", "-n") { Description = "Comma-separated neuron indices (default: all)." };
    private static readonly Option<bool> AllOption = new("--all") { Description = "Split every neuron of the layer (the default)." };
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
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print machine-readable JSON." };

    public static Command Create()
    {
        Command command = new("pure", "Split polysemantic neurons into PURE virtual neurons by clustering their circuits.")
        {
            AtlasArgument, LayerOption, LowerOption, KOption, NeuronsOption, AllOption, ReferencesOption, WideOption, BatchOption, RestartsOption,
            SeedOption, EvaluateOption, JudgeOption, JudgeArchOption, JudgeLayerOption, CompareNaiveOption, JsonOption,
        };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(parse.GetValue(AtlasArgument)!, parse.GetValue(LayerOption)!,
            parse.GetValue(LowerOption), parse.GetValue(KOption)!, parse.GetValue(NeuronsOption), parse.GetValue(AllOption), parse.GetValue(ReferencesOption),
            parse.GetValue(WideOption), parse.GetValue(BatchOption), parse.GetValue(RestartsOption), parse.GetValue(SeedOption), parse.GetValue(EvaluateOption),
            parse.GetValue(JudgeOption), parse.GetValue(JudgeArchOption), parse.GetValue(JudgeLayerOption)!, parse.GetValue(CompareNaiveOption),
            parse.GetValue(JsonOption)), Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Atlas, string Layer, string? Lower = null, string K = "2", string? Neurons = null, bool All = false,
        int References = 100, bool Wide = false, int Batch = 128, int Restarts = 10, int? Seed = null, bool Evaluate = false, string? Judge = null,
        string? JudgeArch = null, string JudgeLayer = "avgpool", int CompareNaive = 0, bool Json = false);

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
        if (r.Neurons is not null && r.All) throw new UnravelUserException("--neurons and --all exclude each other.", "pass one of them");

        AtlasReader atlas = AtlasSources.Open(r.Atlas);
        AtlasLayer layer = AtlasSources.Layer(atlas, r.Layer);
        int[] neurons = AtlasSources.Neurons(layer, r.Neurons);
        LoadedModel loaded = AtlasSources.Model(atlas);
        if (AtlasSources.Dataset(atlas, loaded) is not ImageDataset data)
            throw new UnravelUserException($"pure: {atlas.Root} was collected from text; PURE circuits need an image model with [N, C, H, W] layers.");
        RootModule model = loaded.Model;
        model.Eval();
        string lower = LowerLayer(model, data, layer.Name, r.Lower);

        int atlasK = atlas.TopInputs(layer.Name, neurons[0]).Inputs.Length;
        var requests = neurons.Select(j => Requests(atlas, layer, j, r.References, r.Wide)).ToArray();
        var options = new PureOptions
        {
            Layer = layer.Name, LowerLayer = lower, K = k, AutoK = autoK, Restarts = r.Restarts, Seed = r.Seed ?? atlas.Seed, Batch = r.Batch,
        };
        int pairs = requests.Sum(q => q.References.Concat(q.Candidates).Distinct().Count());
        error.WriteLine($"pure: {layer.Name} ← {lower}, {neurons.Length} neurons, {pairs} (neuron, input) circuits");
        var bar = new ProgressBar(error);
        PureResult result;
        try
        {
            result = PureAnalysis.Run(model, data, requests, options, bar, cancellationToken);
        }
        catch (ArgumentException e) when (e.Message.StartsWith("pure:", StringComparison.Ordinal) || e.Message.StartsWith("hooks:", StringComparison.Ordinal))
        {
            bar.Finish();
            throw new UnravelUserException(e.Message, $"see `unravel inspect {atlas.Architecture}` for the hook names");
        }
        bar.Finish();

        PureEvaluation? evaluation = r.Evaluate ? Evaluate(r, model, loaded.Source, data, result, cancellationToken) : null;
        Naive? naive = r.CompareNaive > 0 ? CompareNaive(model, data, result, r.CompareNaive) : null;

        var config = new JsonObject
        {
            ["layer"] = layer.Name, ["lower_layer"] = lower, ["lower_layer_default"] = r.Lower is null, ["k"] = autoK ? "auto" : k,
            ["k_range"] = autoK ? new JsonArray(options.MinK, options.MaxK) : null, ["references"] = r.References, ["ranking"] = "max",
            ["candidates"] = r.Wide ? "top_max+top_mean+class_top_max" : "top_max+top_mean", ["restarts"] = r.Restarts, ["batch"] = r.Batch,
            ["seed"] = options.Seed, ["circuit"] = "gradient x activation, seed relu(A_j), summed over space, L1-normalised (eps 1e-10)",
            ["routing"] = "hard: nearest k-means centroid (Euclidean); inputs with max activation <= 0 skipped",
            ["judge"] = evaluation?.Judge,
        };
        string folder = PureAtlasWriter.Write(atlas, result, evaluation, ToolInfo.Version, config);
        if (r.Json) WriteJson(output, atlas, result, evaluation, naive, folder);
        else WriteText(output, result, evaluation, naive, folder, atlasK, r.References);
        if (loaded.RandomWeights) (r.Json ? error : output).WriteLine("note: random weights — pass a checkpoint for meaningful virtual neurons");
        return ExitCodes.Success;
    }

    /// <summary>The lower layer: validated when given, else the previous hook at the layer's depth (see the file header).</summary>
    private static string LowerLayer(RootModule model, ImageDataset data, string layer, string? lower)
    {
        var fired = new List<string>();
        using (model.Hooks.Add("**", (name, _) => { if (!fired.Contains(name)) fired.Add(name); }))
            data.Forward(model, [0L]);
        int at = fired.IndexOf(layer);
        string before = string.Join(", ", fired.Take(Math.Max(at, 0)).Where(n => !n.Contains(".hook_", StringComparison.Ordinal)).TakeLast(30));
        if (lower is null)
        {
            int depth = layer.Count(c => c == '.');
            string? previous = fired.Take(Math.Max(at, 0)).LastOrDefault(n => n.Count(c => c == '.') == depth && !n.Contains("hook_", StringComparison.Ordinal));
            return previous ?? throw new UnravelUserException($"pure: no layer before '{layer}' to compute circuits over.", $"pass --lower NAME; hooks before it: {before}");
        }
        lower = model.Hooks.ResolveAlias(lower);
        if (!model.AllHookNames.Contains(lower))
            throw new UnravelUserException($"pure: unknown lower layer '{lower}'.", $"pass a hook that runs before '{layer}', e.g. one of: {before}");
        if (fired.IndexOf(lower) < 0 || fired.IndexOf(lower) >= at)
            throw new UnravelUserException($"pure: lower layer '{lower}' does not run before '{layer}'.", $"pass a hook that runs before it, e.g. one of: {before}");
        return lower;
    }

    private static PureNeuronRequest Requests(AtlasReader atlas, AtlasLayer layer, int neuron, int references, bool wide)
    {
        long[] top = atlas.TopInputs(layer.Name, neuron, "max").Inputs;
        IEnumerable<long> candidates = top.Concat(atlas.TopInputs(layer.Name, neuron, "mean").Inputs);
        if (wide)
            foreach (int c in layer.Classes.Where(c => atlas.Has(layer.Name, $"class_{c}_top_max_indices")))
                candidates = candidates.Concat(atlas.TopInputs(layer.Name, neuron, prefix: $"class_{c}_top_max").Inputs);
        return new PureNeuronRequest(neuron, top.Take(references).ToArray(), candidates.Distinct().ToArray());
    }

    private static PureEvaluation Evaluate(Request r, RootModule model, string modelSource, ImageDataset data, PureResult result, CancellationToken ct)
    {
        IJudgeEmbedding judge;
        ShippedModel? shippedJudge = r.Judge is null ? ShippedModel.JudgeFor(modelSource) : null;
        if (string.Equals(r.Judge, "pixels", StringComparison.OrdinalIgnoreCase))
            judge = new PixelJudge(data);
        else if (r.Judge is not null)
        {
            LoadedModel j = ModelResolver.Resolve(r.Judge, r.JudgeArch);
            j.Model.Eval();
            CheckHook(j.Model, r.JudgeLayer, "--judge-layer");
            judge = new ModelFeatureJudge(j.Model, data, r.JudgeLayer, $"{r.JudgeLayer} of {Path.GetFileName(j.Source.TrimEnd('/'))} ({j.Architecture})", independent: true);
        }
        else if (shippedJudge is not null)
        {
            LoadedModel j = ModelResolver.Resolve(shippedJudge.WeightsPath, shippedJudge.Architecture);
            j.Model.Eval();
            CheckHook(j.Model, r.JudgeLayer, "--judge-layer");
            judge = new ModelFeatureJudge(j.Model, data, r.JudgeLayer, $"{r.JudgeLayer} of {shippedJudge.Name} ({shippedJudge.Architecture}, the judge named in the model card)", independent: true);
        }
        else
        {
            CheckHook(model, r.JudgeLayer, "--judge-layer");
            judge = new ModelFeatureJudge(model, data, r.JudgeLayer, $"{r.JudgeLayer} of the analysed model (fallback, not independent)", independent: false);
        }
        try
        {
            return PureEvaluator.Evaluate(result, judge, ct);
        }
        catch (ArgumentException e) when (e.Message.StartsWith("pure:", StringComparison.Ordinal) || e.Message.StartsWith("collect:", StringComparison.Ordinal))
        {
            throw new UnravelUserException(e.Message, "the judge model must take the atlas's inputs (same image channels)");
        }
    }

    private static void CheckHook(RootModule model, string hook, string option)
    {
        if (!model.AllHookNames.Contains(hook))
            throw new UnravelUserException($"{option}: '{hook}' is not a hook of the judge model.", $"valid names include: {string.Join(", ", model.AllHookNames.Where(n => !n.Contains('.')))}");
    }

    private sealed record Naive(int Pairs, double SecondsPerPair, double FastSecondsPerPair, double Speedup, double MaxAbsDiff);

    /// <summary>Times <see cref="Circuits.ComputeNaive"/> on pairs spread over the computed ones; the speed-up compares
    /// per-pair times (naive extrapolated to all pairs vs the whole fast pass).</summary>
    private static Naive CompareNaive(RootModule model, ImageDataset data, PureResult result, int count)
    {
        CircuitRequest[] all = result.Circuits.Circuits.Keys.OrderBy(p => p.Input).ThenBy(p => p.Neuron).ToArray();
        int n = Math.Min(count, all.Length);
        double maxDiff = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            CircuitRequest p = all[(int)((long)i * all.Length / n)];
            (float[] circuit, _) = Circuits.ComputeNaive(model, data, result.Options.Layer, result.Options.LowerLayer, p);
            float[] fast = result.Circuits.Circuits[p];
            for (int c = 0; c < circuit.Length; c++) maxDiff = Math.Max(maxDiff, Math.Abs(circuit[c] - fast[c]));
        }
        double naivePer = clock.Elapsed.TotalSeconds / n, fastPer = result.Circuits.Elapsed.TotalSeconds / all.Length;
        return new Naive(n, naivePer, fastPer, naivePer / fastPer, maxDiff);
    }

    private static void WriteText(TextWriter output, PureResult result, PureEvaluation? evaluation, Naive? naive, string folder, int atlasK, int references)
    {
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

    private static void WriteJson(TextWriter output, AtlasReader atlas, PureResult result, PureEvaluation? evaluation, Naive? naive, string folder)
    {
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
