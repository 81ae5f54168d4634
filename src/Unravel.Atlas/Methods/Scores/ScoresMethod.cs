// Simulation scores (Oikarinen & Weng 2024, "Linear explanations for individual neurons", ICML, §4.1) as a registered
// method: per neuron, the test correlation of every stored explanation's simulator on one seeded split (linear
// explanations once per concept set, as method "explain:SET"); sortable neurons-table columns score_explain (labels or
// tokens), score_explain_model (a model:NAME set), score_concepts and score_pure; the table scores(layer, neuron, method, simulator, test_r,
// val_r, unit, seed, train, val, test); a card listing the score next to each method's name.

using System.Globalization;
using System.Text;
using Unravel.Atlas.Report;
using Unravel.Atlas.Stages;

namespace Unravel.Atlas.Methods;

/// <summary>The "score" method.</summary>
public sealed class ScoresMethod : AtlasMethod<ScoresRecord>
{
    private ScoresMethod() : base("score", "Simulation scores", ScoresJson.Default.NeuronRecordScoresRecord)
    {
    }

    /// <summary>The registered instance.</summary>
    public static ScoresMethod Instance { get; } = new();

    /// <inheritdoc/>
    public override IReadOnlyList<NeuronColumn> Columns { get; } =
    [
        new("score_explain", "REAL", "test correlation of the linear explanation's simulator"),
        new("score_explain_model", "REAL", "test correlation of the linear explanation on a model:NAME concept set"),
        new("score_concepts", "REAL", "test correlation of the concept vectors' simulator"),
        new("score_pure", "REAL", "test correlation of the PURE virtual neurons' simulator (nearest circuit centroid)"),
    ];

    /// <summary>The method name of the score of a linear explanation on <paramref name="conceptSet"/>: "explain:SET".</summary>
    public static string ExplainMethod(string conceptSet) => "explain:" + conceptSet;

    /// <inheritdoc/>
    protected override (string Create, string Delete)? Tables =>
        ("CREATE TABLE IF NOT EXISTS scores (layer TEXT NOT NULL, neuron INTEGER NOT NULL, method TEXT NOT NULL, simulator TEXT, " +
         "test_r REAL, val_r REAL, unit TEXT, seed INTEGER, train INTEGER, val INTEGER, test INTEGER, PRIMARY KEY (layer, neuron, method))",
         "DELETE FROM scores WHERE layer = $layer AND neuron = $neuron");

    /// <inheritdoc/>
    protected override object?[] ColumnValues(ScoresRecord result)
    {
        ArgumentNullException.ThrowIfNull(result);
        double? Of(Func<string, bool> method) => result.Scores.FirstOrDefault(s => method(s.Method))?.TestCorrelation;
        return [Of(m => m.StartsWith("explain:", StringComparison.Ordinal) && !m.StartsWith("explain:model:", StringComparison.Ordinal)),
            Of(m => m.StartsWith("explain:model:", StringComparison.Ordinal)), Of(m => m == "concepts"), Of(m => m == "pure")];
    }

    /// <inheritdoc/>
    protected override void WriteTables(AtlasDatabase db, string layer, int neuron, ScoresRecord result)
    {
        ArgumentNullException.ThrowIfNull(db);
        foreach (ScoreRecord s in result.Scores)
            db.Execute("INSERT INTO scores VALUES ($l, $i, $m, $s, $t, $v, $u, $seed, $tr, $va, $te)", ("$l", layer), ("$i", neuron), ("$m", s.Method),
                ("$s", s.Simulator), ("$t", s.TestCorrelation), ("$v", s.ValCorrelation), ("$u", s.Unit), ("$seed", s.Split.Seed),
                ("$tr", s.Split.Train), ("$va", s.Split.Val), ("$te", s.Split.Test));
    }

    /// <inheritdoc/>
    protected override IEnumerable<long> References(ScoresRecord result) => [];

    /// <inheritdoc/>
    protected override string? Card(NeuronRecord<ScoresRecord> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var sb = new StringBuilder("<div class=\"card\" id=\"scores\"><h3>Simulation scores</h3><table><tr><th>method</th><th>test r</th></tr>");
        foreach (ScoreRecord s in record.Result.Scores)
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Html.E(s.Method)}</td><td>{(s.TestCorrelation is { } r ? Html.Num(r, "0.000") : "–")}</td></tr>");
        return sb.Append("</table><p class=\"muted\">Pearson r of each method's simulator with the activation on the same seeded test split</p></div>").ToString();
    }

    /// <inheritdoc/>
    protected override string Section(ReportContext context, NeuronRecord<ScoresRecord> record)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(record);
        var sb = new StringBuilder("<h2 id=\"score\">Simulation scores</h2><table><tr><th>method</th><th>simulator</th><th>test r</th><th>val r</th><th>unit</th><th>split (seed: train/val/test)</th></tr>");
        foreach (ScoreRecord s in record.Result.Scores)
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Html.E(s.Method)}</td><td>{Html.E(s.Simulator)}</td><td>{(s.TestCorrelation is { } r ? Html.Num(r, "0.000") : "–")}</td>")
              .Append(CultureInfo.InvariantCulture, $"<td>{(s.ValCorrelation is { } v ? Html.Num(v, "0.000") : "–")}</td><td>{Html.E(s.Unit)}</td><td>{s.Split.Seed}: {s.Split.Train}/{s.Split.Val}/{s.Split.Test}</td></tr>");
        return sb.Append("</table>").Append(ReportContext.ProvenanceBlock(record.Provenance)).ToString();
    }

    /// <inheritdoc/>
    public override string? Unavailable(AtlasReader atlas, AtlasLayer layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return File.Exists(LinearExplanationsMethod.Instance.PathOf(atlas, layer.Name, neuron)) || File.Exists(ConceptsMethod.Instance.PathOf(atlas, layer.Name, neuron))
            ? null : "scoring simulates a stored explanation: run linear explanations or concept vectors on this neuron first";
    }

    /// <inheritdoc/>
    public override void AnalyseNeuron(AtlasSession session, string layer, int neuron, CancellationToken cancellationToken) =>
        new ScoreStage().Run(new ScoreRequest(session, layer, [neuron]), null, cancellationToken);
}
