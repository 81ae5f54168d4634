// Linear explanations (Oikarinen & Weng 2024, "Linear explanations for individual neurons", ICML, §3–4) as a
// registered method: its record (one explanation per concept set), its neurons-table columns (terms, test/val r,
// best-single-concept r of the labels/tokens explanation; test r of the model:NAME one), its table
// explanation_terms(layer, neuron, concept_set, rank, concept, weight), its report section (per concept set the formula,
// the scores and a predicted-vs-actual scatter on the test split) and its on-demand run (labels, else tokens).

using System.Globalization;
using System.Text;
using Unravel.Atlas.Report;
using Unravel.Atlas.Stages;

namespace Unravel.Atlas.Methods;

/// <summary>The "explain" method.</summary>
public sealed class LinearExplanationsMethod : AtlasMethod<ExplanationsRecord>
{
    private LinearExplanationsMethod() : base("explain", "Linear explanation", ExplainJson.Default.NeuronRecordExplanationsRecord)
    {
    }

    /// <summary>The registered instance.</summary>
    public static LinearExplanationsMethod Instance { get; } = new();

    /// <inheritdoc/>
    public override IReadOnlyList<NeuronColumn> Columns { get; } =
    [
        new("le_terms", "INTEGER", "concepts in the linear explanation"),
        new("le_test_r", "REAL", "test correlation of the linear explanation with the neuron"),
        new("le_val_r", "REAL", "validation correlation of the linear explanation"),
        new("le_baseline_r", "REAL", "test correlation of the best single concept"),
        new("le_model_test_r", "REAL", "test correlation of the linear explanation on a model:NAME concept set"),
    ];

    /// <inheritdoc/>
    protected override (string Create, string Delete)? Tables =>
        ("CREATE TABLE IF NOT EXISTS explanation_terms (layer TEXT NOT NULL, neuron INTEGER NOT NULL, rank INTEGER NOT NULL, " +
         "concept TEXT, weight REAL, concept_set TEXT NOT NULL, PRIMARY KEY (layer, neuron, concept_set, rank))",
         "DELETE FROM explanation_terms WHERE layer = $layer AND neuron = $neuron");

    /// <inheritdoc/>
    protected override object?[] ColumnValues(ExplanationsRecord result)
    {
        ArgumentNullException.ThrowIfNull(result);
        ExplanationRecord? p = result.Primary;
        return [p?.Terms.Length, Finite(p?.TestCorrelation), Finite(p?.ValCorrelation), Finite(p?.BaselineCorrelation), Finite(result.Model?.TestCorrelation)];
    }

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;

    /// <inheritdoc/>
    protected override void WriteTables(AtlasDatabase db, string layer, int neuron, ExplanationsRecord result)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(result);
        foreach (ExplanationRecord e in result.Explanations)
            for (int i = 0; i < e.Terms.Length; i++)
                db.Execute("INSERT INTO explanation_terms (layer, neuron, rank, concept, weight, concept_set) VALUES ($l, $i, $r, $c, $w, $s)",
                    ("$l", layer), ("$i", neuron), ("$r", i), ("$c", e.Terms[i].Concept), ("$w", e.Terms[i].Weight), ("$s", e.ConceptSet));
    }

    /// <inheritdoc/>
    protected override IEnumerable<long> References(ExplanationsRecord result) => [];

    /// <inheritdoc/>
    protected override string? Card(NeuronRecord<ExplanationsRecord> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var sb = new StringBuilder("<div class=\"card\"><h3>Linear explanation</h3>");
        foreach ((ExplanationRecord r, int i) in record.Result.Explanations.Select((r, i) => (r, i)))
            sb.Append(CultureInfo.InvariantCulture, $"<div class=\"big\"{(i == 0 ? " id=\"le-test-r\"" : "")}>r = {Html.Num(r.TestCorrelation, "0.000")}</div>")
              .Append(CultureInfo.InvariantCulture, $"<div>{Html.E(r.Formula)}</div><p class=\"muted\">test split, {Html.E(r.ConceptSet)}</p>");
        return sb.Append("</div>").ToString();
    }

    /// <inheritdoc/>
    protected override string Section(ReportContext context, NeuronRecord<ExplanationsRecord> record)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(record);
        var sb = new StringBuilder("<h2 id=\"explain\">Linear explanation</h2>");
        foreach ((ExplanationRecord r, int i) in record.Result.Explanations.Select((r, i) => (r, i)))
            Explanation(sb, r, i == 0);
        return sb.Append(ReportContext.ProvenanceBlock(record.Provenance)).ToString();
    }

    /// <summary>One concept set's explanation: formula, scores, split and scatter (the first carries the element ids).</summary>
    private static void Explanation(StringBuilder sb, ExplanationRecord r, bool first)
    {
        string id(string name) => first ? $" id=\"{name}\"" : "";
        sb.Append(CultureInfo.InvariantCulture, $"<h3>on {Html.E(r.ConceptSet)}</h3>")
          .Append(CultureInfo.InvariantCulture, $"<p class=\"formula\"{id("le-formula")}><code>{Html.E(r.Formula)}</code></p>")
          .Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">concepts: {Html.E(r.Concepts.Kind)} from {Html.E(r.Concepts.Source)} ({r.Concepts.Concepts} after the filter; {Html.E(r.Concepts.Detail)})</p>")
          .Append(CultureInfo.InvariantCulture, $"<p>test r <b>{Html.Num(r.TestCorrelation, "0.000")}</b> · val r {Html.Num(r.ValCorrelation, "0.000")} · best single concept")
          .Append(CultureInfo.InvariantCulture, $" {Html.E(r.BaselineConcept ?? "(none)")} r {Html.Num(r.BaselineCorrelation, "0.000")}</p>")
          .Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">split seed {r.Split.Seed}: {r.Split.Units} units × {r.Split.RowsPerUnit} rows; {r.Split.Train}/{r.Split.Val}/{r.Split.Test} train/val/test rows</p>")
          .Append(Scatter(r.ScatterActual, r.ScatterPredicted, id: first ? "le-scatter" : null));
    }

    /// <summary>An SVG scatter of predicted (y) against actual (x) activations with the diagonal.</summary>
    public static string Scatter(IReadOnlyList<float> actual, IReadOnlyList<float> predicted, int width = 320, int height = 240, string? id = "le-scatter")
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        int n = Math.Min(actual.Count, predicted.Count);
        if (n == 0) return "";
        double lo = Math.Min(actual.Take(n).Min(), predicted.Take(n).Min()), hi = Math.Max(actual.Take(n).Max(), predicted.Take(n).Max());
        if (!(hi > lo)) hi = lo + 1;
        const double pad = 30;
        string X(double v) => (pad + (v - lo) / (hi - lo) * (width - pad - 8)).ToString("0.#", CultureInfo.InvariantCulture);
        string Y(double v) => (height - pad - (v - lo) / (hi - lo) * (height - pad - 8)).ToString("0.#", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"scatter\"{(id is null ? "" : $" id=\"{id}\"")} width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"predicted vs actual activation on the test split\">")
          .Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(lo)}\" y1=\"{Y(lo)}\" x2=\"{X(hi)}\" y2=\"{Y(hi)}\" stroke=\"#9aa3ae\" stroke-dasharray=\"4 3\"/>");
        for (int i = 0; i < n; i++)
            sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(actual[i])}\" cy=\"{Y(predicted[i])}\" r=\"2\" fill=\"#2f6fdf\" fill-opacity=\"0.5\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"{height - 6}\" text-anchor=\"middle\" font-size=\"11\">actual activation</text>")
          .Append(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"{height / 2}\" font-size=\"11\" transform=\"rotate(-90 10 {height / 2})\" text-anchor=\"middle\">predicted</text></svg>");
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string? Unavailable(AtlasReader atlas, AtlasLayer layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer.Inputs < 10 ? $"a linear explanation splits the inputs 70/10/20; '{layer.Name}' holds {layer.Inputs} (collect at least 10)" : null;
    }

    /// <inheritdoc/>
    public override void AnalyseNeuron(AtlasSession session, string layer, int neuron, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        string set = session.Atlas.Dataset?.Kind is "brown" ? "tokens" : "labels";
        new ExplainStage().Run(new ExplainRequest(session, layer, [neuron]) { Concepts = set }, null, cancellationToken);
    }
}
