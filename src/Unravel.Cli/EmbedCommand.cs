// `unravel embed ATLAS --layer L [--variant tl|hf|resid] [--neurons i,j | --all] [--json]`: neuron embeddings
// (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166) for a transformer MLP layer of a
// language-model atlas: parses the options into an EmbedRequest, runs the EmbedStage (which stores
// methods/embed/<layer>/neuron_<i>.json, the atlas.db columns and the embed_clusters table) and prints the per-neuron
// table and the layer summary, or JSON.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.Atlas;
using Unravel.Atlas.Stages;
using Unravel.Interpret.NeuronEmbeddings;

namespace Unravel.Cli;

internal static class EmbedCommand
{
    private static readonly AtlasOptions Atlas = new("Atlas directory of a GPT-2 language model over text (from `unravel collect`).", "Collected MLP layer (blocks.N.mlp.hook_post or h.N.mlp.hook_post).");
    private static readonly NeuronSelection Selection = NeuronSelection.WithAll("Analyse");
    private static readonly OutputOptions Output = new(insteadOfTable: true);
    private static readonly Option<string> VariantOption = new("--variant")
    {
        Description = "Pre-MLP vector h and weights w of e = h ⊙ w: tl (TransformerLens folding), hf (raw weights) or resid (residual stream).",
        DefaultValueFactory = _ => "tl",
    };
    private static readonly Option<string> SelectionOption = new("--selection")
    {
        Description = "Characteristic examples: first (the first N windows over ratio × max, as the paper) or top-k.", DefaultValueFactory = _ => "first",
    };
    private static readonly Option<int> ExamplesOption = new("--examples") { Description = "Examples per neuron (the paper: 100).", DefaultValueFactory = _ => 100 };
    private static readonly Option<double> RatioOption = new("--ratio") { Description = "Threshold ratio of the first rule (the paper: 0.75).", DefaultValueFactory = _ => 0.75 };
    private static readonly Option<double> ThresholdOption = new("--threshold") { Description = "Cosine distance where clusters stop merging (the paper: 0.5).", DefaultValueFactory = _ => 0.5 };
    private static readonly Option<int?> MostSplitOption = new("--most-split")
    {
        Description = "Cluster every neuron but store and show only the K with the most clusters (the summary covers all).",
    };
    private static readonly Option<bool> NoImportanceOption = new("--no-importance") { Description = "Skip token importance of the central examples." };

    public static Command Create()
    {
        Command command = new("embed", "Split transformer MLP neurons into feature clusters with neuron embeddings (Foote 2024) and store them in the atlas.")
            { Atlas.Atlas, Atlas.Layer, VariantOption, Selection.Neurons, Selection.All, NeuronSelection.ShardOption, SelectionOption, ExamplesOption, RatioOption, ThresholdOption, MostSplitOption, NoImportanceOption, Output.Json };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(Atlas.AtlasOf(parse), Atlas.LayerOf(parse), parse.GetValue(VariantOption)!,
            Selection.NeuronsOf(parse), Selection.AllOf(parse), parse.GetValue(SelectionOption)!, parse.GetValue(ExamplesOption), parse.GetValue(RatioOption),
            parse.GetValue(ThresholdOption), !parse.GetValue(NoImportanceOption), Output.JsonOf(parse), parse.GetValue(MostSplitOption)) { NeuronsShard = parse.GetValue(NeuronSelection.ShardOption) }, Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Atlas, string Layer, string Variant = "tl", string? Neurons = null, bool All = false, string Selection = "first",
        int Examples = 100, double Ratio = 0.75, double Threshold = 0.5, bool Importance = true, bool Json = false, int? MostSplit = null)
    {
        public string? NeuronsShard { get; init; }
    }

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<int>? neurons = NeuronSelection.Parse(r.Neurons, r.All);
        if (!EmbedRequest.Variants.Contains(r.Variant)) throw new UnravelUserException($"--variant must be tl, hf or resid (got '{r.Variant}').");
        if (r.Selection is not ("first" or "top-k")) throw new UnravelUserException($"--selection must be first or top-k (got '{r.Selection}').");
        if (r.Examples < 2) throw new UnravelUserException($"--examples must be at least 2 (got {r.Examples}).");
        if (r.MostSplit is { } k && (k < 1 || r.Neurons is not null))
            throw new UnravelUserException($"--most-split must be at least 1 and excludes --neurons (got {k}).", "e.g. --most-split 8 without --neurons");
        if (!(r.Ratio > 0 && r.Ratio <= 1)) throw new UnravelUserException($"--ratio must be in (0, 1] (got {r.Ratio.ToString(CultureInfo.InvariantCulture)}).");
        if (!(r.Threshold > 0)) throw new UnravelUserException($"--threshold must be positive (got {r.Threshold.ToString(CultureInfo.InvariantCulture)}).");
        var request = new EmbedRequest(NeuronSelection.Open(r.Atlas, r.NeuronsShard, error), r.Layer, neurons)
        {
            Variant = r.Variant, Selection = r.Selection, Examples = r.Examples, Ratio = r.Ratio, Threshold = r.Threshold, Importance = r.Importance, MostSplit = r.MostSplit,
        };
        EmbedStageResult result = ProgressBar.Around(error, bar => new EmbedStage().Run(request, bar, cancellationToken));
        if (r.Json) WriteJson(output, result);
        else Render(result, output);
        return ExitCodes.Success;
    }

    private static string F(double v, string format = "0.000") => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string F(double? v) => v is { } x ? F(x) : "-";

    /// <summary>Prints the per-neuron table and the layer summary (also used by `unravel demo`).</summary>
    internal static void Render(EmbedStageResult run, TextWriter output)
    {
        EmbedRequest q = run.Request;
        output.WriteLine($"{run.Layer.Name} (block {run.Block}): neuron embeddings ({q.Variant}) of {run.Neurons.Count} neurons, examples {q.Selection} {q.Examples} over {run.Windows} windows, " +
            $"average linkage cut at {F(q.Threshold, "0.##")}, in {F(run.Elapsed.TotalSeconds, "0.0")} s");
        bool tags = run.Neurons.Any(x => x.Record.Ari is not null);
        var headers = new List<string> { "neuron", "examples", "clusters", "sizes", "max_dist", "mean_dist", "intra", "inter", "raw clusters" };
        if (tags) headers.AddRange(["ARI", "NMI"]);
        var table = new TextTable([.. headers]);
        foreach (EmbedNeuron x in run.Neurons)
        {
            var row = new List<string>
            {
                x.Neuron.ToString(CultureInfo.InvariantCulture), x.Record.Examples.Length.ToString(CultureInfo.InvariantCulture),
                x.Record.Clusters.Length.ToString(CultureInfo.InvariantCulture), string.Join("/", x.Record.Clusters.Select(c => c.Size)),
                F(x.Record.MaxDist), F(x.Record.MeanDist), F(x.Record.Intra), F(x.Record.Inter), x.Record.Raw.Clusters.ToString(CultureInfo.InvariantCulture),
            };
            if (tags) row.AddRange([F(x.Record.Ari), F(x.Record.Nmi)]);
            table.Add([.. row]);
        }
        output.Write(table);
        if (run.TooFewExamples.Length > 0)
            output.WriteLine($"{run.TooFewExamples.Length} neurons with fewer than 2 examples (not clustered): {string.Join(", ", run.TooFewExamples.Take(20))}{(run.TooFewExamples.Length > 20 ? ", …" : "")}");
        var summary = new TextTable("vectors", "neurons", "≥2 clusters", "MaxDist med/mean", "MeanDist med/mean", "intra med/mean", "inter med/mean");
        void Add(string name, PolysemanticitySummary s) => summary.Add(name, s.Neurons.ToString(CultureInfo.InvariantCulture), F(100 * s.MultiClusterShare, "0") + " %",
            $"{F(s.MaxDist.Median)}/{F(s.MaxDist.Mean)}", $"{F(s.MeanDist.Median)}/{F(s.MeanDist.Mean)}", $"{F(s.Intra.Median)}/{F(s.Intra.Mean)}", $"{F(s.Inter.Median)}/{F(s.Inter.Mean)}");
        Add("neuron embeddings", run.Summary);
        if (run.RawSummary is { } raw) Add("raw pre-MLP", raw);
        output.Write(summary);
        if (run.Agreement is { } a)
            output.WriteLine($"against part-of-speech tags of the key tokens, over {a.Neurons} neurons with ≥ 2 clusters: median ARI {F(a.Ari)}, median NMI {F(a.Nmi)}");
        output.WriteLine("time: " + string.Join(", ", run.Timings.Select(t => $"{t.Step} {F(t.Seconds, "0.0")} s")));
        output.WriteLine($"similar features: exact search over {run.SimilarSearch.Features} clusters of {run.SimilarSearch.Layers} embedded layer(s), " +
            $"{run.SimilarSearch.Pairs} pairs in {F(run.SimilarSearch.Seconds, "0.00")} s");
    }

    private static object Summary(PolysemanticitySummary s) => new
    {
        neurons = s.Neurons, multi_cluster_share = N(s.MultiClusterShare),
        max_dist = new { median = N(s.MaxDist.Median), mean = N(s.MaxDist.Mean) }, mean_dist = new { median = N(s.MeanDist.Median), mean = N(s.MeanDist.Mean) },
        intra = new { median = N(s.Intra.Median), mean = N(s.Intra.Mean) }, inter = new { median = N(s.Inter.Median), mean = N(s.Inter.Mean) },
        clusters = new { median = N(s.Clusters.Median), mean = N(s.Clusters.Mean) },
    };

    private static double? N(double v) => double.IsFinite(v) ? v : null;

    private static void WriteJson(TextWriter output, EmbedStageResult run)
    {
        EmbedRequest q = run.Request;
        output.WriteLine(JsonSerializer.Serialize(new
        {
            atlas = q.Session.Root, layer = run.Layer.Name, block = run.Block, variant = q.Variant, selection = q.Selection, examples = q.Examples, ratio = q.Ratio,
            threshold = q.Threshold, most_split = q.MostSplit, linkage = "average", metric = "cosine", windows = run.Windows, seconds = run.Elapsed.TotalSeconds,
            timings = run.Timings.ToDictionary(t => t.Step, t => t.Seconds),
            summary = Summary(run.Summary), raw_summary = run.RawSummary is { } raw ? Summary(raw) : null,
            pos_agreement = run.Agreement is { } a ? new { median_ari = a.Ari, median_nmi = a.Nmi, neurons = a.Neurons } : null,
            too_few_examples = run.TooFewExamples,
            neurons = run.Neurons.Select(x => new
            {
                neuron = x.Neuron, examples = x.Record.Examples.Length, max_dist = x.Record.MaxDist, mean_dist = x.Record.MeanDist, intra = x.Record.Intra,
                inter = x.Record.Inter, ari = x.Record.Ari, nmi = x.Record.Nmi, file = x.File,
                clusters = x.Record.Clusters.Select(c => new
                {
                    id = c.Id, size = c.Size,
                    central = new { input = x.Record.Examples[c.Central].Input, position = x.Record.Examples[c.Central].Position },
                    examples = c.Members.Select(m => new[] { x.Record.Examples[m].Input, x.Record.Examples[m].Position }),
                }),
            }),
        }, new JsonSerializerOptions { WriteIndented = true }));
    }
}
