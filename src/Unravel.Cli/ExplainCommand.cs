// `unravel explain ATLAS --layer L [--concepts labels|model:NAME|tokens] [--neurons i,j | --all] [--json]`: linear
// explanations (Oikarinen & Weng 2024, "Linear explanations for individual neurons", ICML) for a layer's neurons:
// parses the options into an ExplainRequest, runs the ExplainStage (which stores methods/explain/<layer>/neuron_<i>.json
// and the atlas.db columns and table) and prints a table or JSON.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Stages;
using Unravel.Atlas;

namespace Unravel.Cli;

internal static class ExplainCommand
{
    private static readonly AtlasOptions Atlas = new();
    private static readonly NeuronSelection Selection = NeuronSelection.WithAll("Explain");
    private static readonly OutputOptions Output = new(insteadOfTable: true);
    private static readonly Option<string> ConceptsOption = new("--concepts", "-c")
    {
        Description = $"Concept set: {ConceptSets.Forms}.", DefaultValueFactory = _ => "labels",
    };
    private static readonly Option<int?> SeedOption = new("--seed") { Description = "Seed of the 70/10/20 split (default: the atlas's seed)." };

    public static Command Create()
    {
        Command command = new("explain", "Explain neurons as sparse weighted sums of concepts (linear explanations, Oikarinen & Weng 2024) and store them in the atlas.")
            { Atlas.Atlas, Atlas.Layer, ConceptsOption, Selection.Neurons, Selection.All, NeuronSelection.ShardOption, SeedOption, Output.Json };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(Atlas.AtlasOf(parse), Atlas.LayerOf(parse), parse.GetValue(ConceptsOption)!,
            Selection.NeuronsOf(parse), Selection.AllOf(parse), parse.GetValue(SeedOption), Output.JsonOf(parse)) { NeuronsShard = parse.GetValue(NeuronSelection.ShardOption) }, Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Atlas, string Layer, string Concepts = "labels", string? Neurons = null, bool All = false, int? Seed = null, bool Json = false)
    {
        public string? NeuronsShard { get; init; }
    }

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<int>? neurons = NeuronSelection.Parse(r.Neurons, r.All);
        try
        {
            ConceptSets.Validate(r.Concepts);
        }
        catch (UnravelException e)
        {
            throw new UnravelUserException($"--concepts: {e.Message}", e.Hint);
        }
        var request = new ExplainRequest(NeuronSelection.Open(r.Atlas, r.NeuronsShard, error), r.Layer, neurons) { Concepts = r.Concepts, Seed = r.Seed };
        ExplainStageResult result = ProgressBar.Around(error, bar => new ExplainStage().Run(request, bar, cancellationToken));
        if (r.Json) WriteJson(output, result);
        else Render(result, output);
        return ExitCodes.Success;
    }

    private static string F(double v, string format = "0.000") => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    /// <summary>Prints the table of an explain run (also used by `unravel demo`).</summary>
    internal static void Render(ExplainStageResult run, TextWriter output)
    {
        output.WriteLine($"{run.Layer.Name}: linear explanations of {run.Neurons.Count} neurons on {run.Request.Concepts} ({run.Concepts.Concepts} concepts: {run.Concepts.Source}), " +
            $"split seed {run.Split.Seed} {run.Split.Train}/{run.Split.Val}/{run.Split.Test} rows, in {F(run.Elapsed.TotalSeconds, "0.00")} s");
        var table = new TextTable("neuron", "test r", "val r", "best single", "explanation");
        foreach (ExplainNeuron n in run.Neurons)
        {
            string formula = n.Record.Formula.Length > 90 ? n.Record.Formula[..87] + "…" : n.Record.Formula;
            table.Add(n.Neuron.ToString(CultureInfo.InvariantCulture), F(n.Record.TestCorrelation), F(n.Record.ValCorrelation),
                $"{F(n.Record.BaselineCorrelation)} {n.Record.BaselineConcept}", formula);
        }
        output.Write(table);
        output.WriteLine($"median test r {F(run.MedianTest)} (best single concept {F(run.MedianBaseline)})");
        foreach (IGrouping<string, ExplanationRecord> other in run.Neurons.SelectMany(n => n.All.Explanations).Where(e => e.ConceptSet != run.Request.Concepts).GroupBy(e => e.ConceptSet))
            output.WriteLine($"also stored on {other.Key}: {other.Count()} of these neurons, median test r {F(ExplainStageResult.Median(other.Select(e => e.TestCorrelation)))}");
    }

    private static void WriteJson(TextWriter output, ExplainStageResult run) =>
        output.WriteLine(JsonSerializer.Serialize(new
        {
            atlas = run.Request.Session.Root, layer = run.Layer.Name, concept_set = run.Request.Concepts,
            concepts = new { kind = run.Concepts.Kind, source = run.Concepts.Source, detail = run.Concepts.Detail, count = run.Concepts.Concepts },
            split = new { seed = run.Split.Seed, units = run.Split.Units, rows_per_unit = run.Split.RowsPerUnit, train = run.Split.Train, val = run.Split.Val, test = run.Split.Test },
            seconds = run.Elapsed.TotalSeconds, median_test_correlation = Nullable(run.MedianTest), median_baseline_correlation = Nullable(run.MedianBaseline),
            neurons = run.Neurons.Select(n => new
            {
                neuron = n.Neuron, formula = n.Record.Formula, terms = n.Record.Terms.Select(t => new { concept = t.Concept, weight = t.Weight }), bias = n.Record.Bias,
                test_correlation = Nullable(n.Record.TestCorrelation), val_correlation = Nullable(n.Record.ValCorrelation),
                baseline_correlation = Nullable(n.Record.BaselineCorrelation), baseline_concept = n.Record.BaselineConcept, file = n.File,
                stored = n.All.Explanations.Select(e => new
                {
                    concept_set = e.ConceptSet, formula = e.Formula, terms = e.Terms.Select(t => new { concept = t.Concept, weight = t.Weight }), bias = e.Bias,
                    test_correlation = Nullable(e.TestCorrelation), val_correlation = Nullable(e.ValCorrelation),
                }),
            }),
        }, new JsonSerializerOptions { WriteIndented = true }));

    private static double? Nullable(double v) => double.IsFinite(v) ? v : null;
}
