// `unravel concepts ATLAS --layer L [--neurons i,j | --all]`: concept vectors (O'Mahony et al. 2023, "Disentangling
// neuron representations with concept vectors", CVPR Workshops) for a layer's neurons: parses the options into a
// ConceptsRequest, runs the ConceptsStage (which stores methods/concepts/<layer>/neuron_<i>.json and the atlas.db
// columns and table) and prints a summary table or JSON.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.Interpret.Collection;
using Unravel.Interpret.Concepts;
using Unravel.Atlas.Stages;
using Unravel.Atlas;
using Unravel.Atlas.Methods;

namespace Unravel.Cli;

internal static class ConceptsCommand
{
    private static readonly AtlasOptions Atlas = new();
    private static readonly NeuronSelection Selection = NeuronSelection.WithAll("Analyse");
    private static readonly OutputOptions Output = new(insteadOfTable: true);
    private static readonly Option<string> CutOption = new("--cut")
    {
        Description = "Ward cut height: rel:X = X × lower quartile of the top inputs' pairwise distances, abs:T = fixed height (authors: abs:15).",
        DefaultValueFactory = _ => new ConceptOptions().Cut.ToString(),
    };
    private static readonly Option<string> OutlierOption = new("--outlier")
    {
        Description = "Outlier radius around the k-means centroid: rel:X, abs:R (authors: abs:3.873, i.e. R² = 15) or none.",
        DefaultValueFactory = _ => new ConceptOptions().Outlier.ToString(),
    };
    private static readonly Option<int> MinSizeOption = new("--min-size") { Description = "Drop concepts with fewer members.", DefaultValueFactory = _ => 5 };
    private static readonly Option<string> RankingOption = new("--ranking")
    {
        Description = "Top-input table: mean (GAP activation, as the authors) or max (over positions).", DefaultValueFactory = _ => "mean",
    };
    private static readonly Option<int> TopKOption = new("--top-k") { Description = "Top inputs clustered per neuron (at most the atlas's k).", DefaultValueFactory = _ => 100 };

    public static Command Create()
    {
        Command command = new("concepts", "Split neurons' top inputs into concepts (concept vectors, O'Mahony et al. 2023) and store them in the atlas.")
            { Atlas.Atlas, Atlas.Layer, Selection.Neurons, Selection.All, NeuronSelection.ShardOption, CutOption, OutlierOption, MinSizeOption, RankingOption, TopKOption, Output.Json };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(Atlas.AtlasOf(parse), Atlas.LayerOf(parse),
            Selection.NeuronsOf(parse), Selection.AllOf(parse), parse.GetValue(CutOption)!, parse.GetValue(OutlierOption)!,
            parse.GetValue(MinSizeOption), parse.GetValue(RankingOption)!, parse.GetValue(TopKOption), Output.JsonOf(parse)) { NeuronsShard = parse.GetValue(NeuronSelection.ShardOption) }, Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Atlas, string Layer, string? Neurons = null, bool All = false, string Cut = "rel:10", string Outlier = "rel:1.5",
        int MinSize = 5, string Ranking = "mean", int TopK = 100, bool Json = false)
    {
        public string? NeuronsShard { get; init; }
    }

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<int>? neurons = NeuronSelection.Parse(r.Neurons, r.All);
        if (r.MinSize < 1) throw new UnravelUserException($"--min-size must be at least 1 (got {r.MinSize}).");
        if (r.TopK < 2) throw new UnravelUserException($"--top-k must be at least 2 (got {r.TopK}).");
        if (r.Ranking is not ("max" or "mean")) throw new UnravelUserException($"--ranking must be max or mean (got '{r.Ranking}').");
        var request = new ConceptsRequest(NeuronSelection.Open(r.Atlas, r.NeuronsShard, error), r.Layer, neurons)
        {
            Options = new ConceptOptions { Cut = Threshold(r.Cut, "--cut"), Outlier = Threshold(r.Outlier, "--outlier"), MinSize = r.MinSize },
            Ranking = r.Ranking, TopK = r.TopK,
        };
        ConceptsStageResult result = ProgressBar.Around(error, bar => new ConceptsStage().Run(request, bar, cancellationToken));
        if (r.Json) WriteJson(output, result);
        else Render(result, output);
        return ExitCodes.Success;
    }

    /// <summary>Prints the summary table of a concepts run (also used by `unravel demo`).</summary>
    internal static void Render(ConceptsStageResult result, TextWriter output) => WriteTable(output, result);

    private static ConceptThreshold Threshold(string text, string option)
    {
        try
        {
            return ConceptThreshold.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UnravelUserException($"{option}: {e.Message}", $"e.g. {option} rel:4 or {option} abs:15");
        }
    }

    private static string F(double v, string format = "0.000") => v.ToString(format, CultureInfo.InvariantCulture);

    private static void WriteTable(TextWriter output, ConceptsStageResult run)
    {
        ConceptsRequest r = run.Request;
        ConceptOptions options = run.Options;
        int[]? labels = run.RowLabels;
        output.WriteLine($"{run.Layer.Name}: concept vectors of {run.Neurons.Count} neurons (top {r.TopK} by {r.Ranking}, cut {options.Cut}, outlier {options.Outlier}, min size {options.MinSize}) in {F(run.Elapsed.TotalSeconds, "0.00")} s");
        var headers = new List<string> { "neuron", "concepts", "poly", "separation", "shares", "top input per concept" };
        if (labels is not null) headers.AddRange(["H top", "H concepts"]);
        var table = new TextTable([.. headers]);
        foreach (ConceptsNeuron x in run.Neurons)
        {
            ConceptResult c = x.Result;
            var row = new List<string>
            {
                x.Neuron.ToString(CultureInfo.InvariantCulture), c.Polysemanticity.Concepts.ToString(CultureInfo.InvariantCulture), F(c.Polysemanticity.Score),
                F(c.Polysemanticity.Separation, "0.00"), string.Join("/", c.Concepts.Select(k => F(k.Share, "0.00"))),
                string.Join(" ", c.Concepts.Zip(x.Record.Concepts, (k, stored) => k.TopRows.Length == 0 ? "-" : "#" + stored.TopInputs[0].ToString(CultureInfo.InvariantCulture)
                    + (labels is null ? "" : $"(c{labels[k.TopRows[0]]})"))),
            };
            if (labels is not null)
                row.AddRange([F(c.LabelEntropy ?? 0), c.Concepts.Length == 0 ? "-" : F(c.Concepts.Average(k => k.LabelEntropy ?? 0))]);
            table.Add([.. row]);
        }
        output.Write(table);
        output.WriteLine("concepts per neuron: " + string.Join(", ", run.Neurons.GroupBy(x => x.Result.Polysemanticity.Concepts).OrderBy(g => g.Key)
            .Select(g => $"{g.Key}: {g.Count()}")));
        if (labels is not null && run.Neurons.Any(x => x.Result.Concepts.Length > 0))
        {
            (double raw, double concept, double perNeuron) = Entropies(run.Neurons);
            output.WriteLine($"mean label entropy (bits, lower = purer): neuron top-{r.TopK} {F(raw)}, concept top-{options.ScoreTop} {F(concept)} " +
                $"(mean over neurons of their concepts' mean: {F(perNeuron)})");
        }
    }

    /// <summary>Mean raw top-k entropy over neurons; mean over all concepts; mean over neurons (with ≥ 1 concept) of their concepts' mean.</summary>
    private static (double Raw, double Concept, double PerNeuron) Entropies(IReadOnlyList<ConceptsNeuron> results) =>
        (results.Average(x => x.Result.LabelEntropy ?? 0),
         results.SelectMany(x => x.Result.Concepts).Average(k => k.LabelEntropy ?? 0),
         results.Where(x => x.Result.Concepts.Length > 0).Average(x => x.Result.Concepts.Average(k => k.LabelEntropy ?? 0)));

    private static void WriteJson(TextWriter output, ConceptsStageResult run)
    {
        ConceptOptions options = run.Options;
        (double Raw, double Concept, double PerNeuron)? h = run.RowLabels is not null && run.Neurons.Any(x => x.Result.Concepts.Length > 0) ? Entropies(run.Neurons) : null;
        output.WriteLine(JsonSerializer.Serialize(new
        {
            atlas = run.Request.Session.Root, layer = run.Layer.Name, ranking = run.Request.Ranking, top_k = run.Request.TopK, cut = options.Cut.ToString(),
            outlier = options.Outlier.ToString(), min_size = options.MinSize, seconds = run.Elapsed.TotalSeconds, polysemanticity_definition = Polysemanticity.Definition,
            label_entropy = h is { } e ? new { neuron_top = e.Raw, concept_top = e.Concept, concept_top_per_neuron = e.PerNeuron } : null,
            neurons = run.Neurons.Select(x => new
            {
                neuron = x.Neuron, concepts = x.Result.Polysemanticity.Concepts, polysemanticity = x.Result.Polysemanticity.Score,
                separation = x.Result.Polysemanticity.Separation, cut_height = x.Result.CutHeight, label_entropy = x.Result.LabelEntropy,
                file = x.File,
                concept_list = x.Record.Concepts.Select(k => new
                {
                    id = k.Id, size = k.Size, share = k.Share, top_input = k.TopInputs.Length > 0 ? k.TopInputs[0] : (long?)null,
                    top_score = k.TopScores.Length > 0 ? k.TopScores[0] : (float?)null, label_entropy = k.LabelEntropy,
                }),
            }),
        }, new JsonSerializerOptions { WriteIndented = true }));
    }
}
