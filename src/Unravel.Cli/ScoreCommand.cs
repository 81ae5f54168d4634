// `unravel score ATLAS --layer L [--neurons i,j] [--seed S] [--json]`: (re)scores every stored explanation of a
// layer's neurons (linear explanations, concept vectors) as simulators of the activation on one seeded test split
// (Oikarinen & Weng 2024, "Linear explanations for individual neurons", ICML, §4.1), stores the scores in the atlas
// (methods/score, the scores table, the score_* columns of neurons) and prints a table or JSON.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Stages;
using Unravel.Atlas;

namespace Unravel.Cli;

internal static class ScoreCommand
{
    private static readonly AtlasOptions Atlas = new();
    private static readonly NeuronSelection Selection = NeuronSelection.NeuronsOnly("Comma-separated neuron indices (default: every neuron with a stored explanation).");
    private static readonly OutputOptions Output = new(insteadOfTable: true);
    private static readonly Option<int?> SeedOption = new("--seed") { Description = "Seed of the 70/10/20 split (default: the atlas's seed, as `unravel explain`)." };

    public static Command Create()
    {
        Command command = new("score", "Score every stored explanation of a layer as a simulator of the neuron on one seeded test split.")
            { Atlas.Atlas, Atlas.Layer, Selection.Neurons, SeedOption, Output.Json };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(Atlas.AtlasOf(parse), Atlas.LayerOf(parse), Selection.NeuronsOf(parse),
            parse.GetValue(SeedOption), Output.JsonOf(parse)), Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Atlas, string Layer, string? Neurons = null, int? Seed = null, bool Json = false);

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var request = new ScoreRequest(AtlasSession.Open(r.Atlas), r.Layer, NeuronSelection.Parse(r.Neurons)) { Seed = r.Seed };
        ScoreStageResult result = new ScoreStage().Run(request, null, cancellationToken);
        if (r.Json) WriteJson(output, result);
        else Render(result, output);
        return ExitCodes.Success;
    }

    private static string F(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    /// <summary>Prints the table of a score run (also used by `unravel demo`).</summary>
    internal static void Render(ScoreStageResult run, TextWriter output)
    {
        output.WriteLine($"{run.Layer.Name}: scores of {run.Neurons.Count} neurons on split seed {run.Split.Seed} ({run.Split.Train}/{run.Split.Val}/{run.Split.Test} rows) in {run.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");
        string[] methods = [.. run.Neurons.SelectMany(n => n.Scores.Scores.Select(s => s.Method)).Distinct().Order(StringComparer.Ordinal)];
        var table = new TextTable(["neuron", .. methods.Select(m => m + " r")]);
        foreach ((int neuron, ScoresRecord scores) in run.Neurons)
            table.Add([neuron.ToString(CultureInfo.InvariantCulture), .. methods.Select(m => F(scores.Scores.FirstOrDefault(s => s.Method == m)?.TestCorrelation))]);
        output.Write(table);
        foreach ((string method, int count, double median) in run.Medians) output.WriteLine($"median test r of {method}: {F(median)} over {count} neurons");
    }

    private static void WriteJson(TextWriter output, ScoreStageResult run) =>
        output.WriteLine(JsonSerializer.Serialize(new
        {
            layer = run.Layer.Name,
            split = new { seed = run.Split.Seed, units = run.Split.Units, rows_per_unit = run.Split.RowsPerUnit, train = run.Split.Train, val = run.Split.Val, test = run.Split.Test },
            medians = run.Medians.Select(m => new { method = m.Method, neurons = m.Neurons, median_test_correlation = double.IsFinite(m.Median) ? m.Median : (double?)null }),
            neurons = run.Neurons.Select(n => new
            {
                neuron = n.Neuron,
                scores = n.Scores.Scores.Select(s => new { method = s.Method, simulator = s.Simulator, test_correlation = s.TestCorrelation, val_correlation = s.ValCorrelation, unit = s.Unit }),
            }),
        }, new JsonSerializerOptions { WriteIndented = true }));
}
