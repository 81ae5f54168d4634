// PURE (Dreyer, Purelku et al. 2024, arXiv 2404.06453, §3) as a registered method: its record, its neurons-table
// column pure_k, its table virtual_neurons(layer, neuron, lower_layer, vn, size, share, top1_input), its report
// section (each virtual neuron with the inputs routed to it) and its on-demand run.

using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Unravel.Atlas.Report;
using Unravel.Atlas.Stages;
using Unravel.Interpret.Pure;
using Unravel.IO;

namespace Unravel.Atlas.Methods;

/// <summary>The "pure" method.</summary>
public sealed class PureMethod : AtlasMethod<PureRecord>
{
    /// <summary>Circuits are left out of a neuron's record when they would take more than this many bytes.</summary>
    public const long MaxCircuitBytes = 2_000_000;

    private PureMethod() : base("pure", "PURE virtual neurons", PureJson.Default.NeuronRecordPureRecord)
    {
    }

    /// <summary>The registered instance.</summary>
    public static PureMethod Instance { get; } = new();

    /// <inheritdoc/>
    public override IReadOnlyList<NeuronColumn> Columns { get; } = [new("pure_k", "INTEGER", "virtual neurons PURE split the neuron into")];

    /// <inheritdoc/>
    protected override (string Create, string Delete)? Tables =>
        ("CREATE TABLE IF NOT EXISTS virtual_neurons(layer TEXT, neuron INTEGER, lower_layer TEXT, vn INTEGER, size INTEGER, share REAL, top1_input INTEGER)",
         "DELETE FROM virtual_neurons WHERE layer = $layer AND neuron = $neuron");

    /// <summary>The stored record of one neuron's result.</summary>
    public static PureRecord Record(PureResult result, PureNeuronResult n, NeuronEvaluation? evaluation, PureEvaluation? run)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(n);
        long circuitBytes = (long)n.Circuits.Length * result.Circuits.LowerChannels * 12;
        JsonObject? eval = null;
        if (evaluation is not null && run is not null)
        {
            var methods = new JsonObject();
            foreach ((string m, ClusterDistances d) in evaluation.Methods)
                methods[m] = new JsonObject { ["intra"] = d.Intra, ["inter"] = d.Inter, ["gap"] = d.Gap, ["overall"] = d.Overall };
            eval = new JsonObject
            {
                ["metric"] = "mean Euclidean distance of the references' judge embeddings within / between virtual neurons",
                ["judge"] = run.Judge, ["judge_independent"] = run.JudgeIndependent, ["methods"] = methods,
            };
        }
        return new PureRecord(result.Options.LowerLayer, n.K, n.References, n.Labels, n.Activations, circuitBytes <= MaxCircuitBytes ? n.Circuits : null,
            [.. n.VirtualNeurons.Select(v => new VirtualNeuronRecord(v.Id, v.Size, v.Share, v.Centroid, v.Members, v.TopInputs, v.TopScores))],
            n.KSelection?.ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value), eval);
    }

    /// <summary>File name of the layer's evaluation summary in methods/pure/&lt;layer folder&gt;/.</summary>
    public const string EvaluationSummaryFile = "evaluation.json";

    /// <summary>The layer's evaluation summary (<see cref="EvaluationSummaryFile"/>), committed with the records by <see cref="AtlasMethod{TResult}.Write"/>.</summary>
    public static byte[] EvaluationSummary(string layer, Provenance provenance, PureEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(provenance);
        ArgumentNullException.ThrowIfNull(evaluation);
        var summary = new JsonObject
        {
            ["format_version"] = AtlasFormat.Version, ["method"] = Instance.Name, ["layer"] = layer, ["tool_version"] = provenance.ToolVersion,
            ["model_sha256"] = provenance.ModelSha256, ["seed"] = provenance.Seed, ["options"] = provenance.Options.DeepClone(),
            ["judge"] = evaluation.Judge, ["judge_independent"] = evaluation.JudgeIndependent,
            ["summary"] = new JsonArray(evaluation.Summary.Select(s => (JsonNode)new JsonObject
            {
                ["method"] = s.Method, ["intra"] = Finite(s.Intra), ["inter"] = Finite(s.Inter), ["gap"] = Finite(s.Gap),
                ["gap_stderr"] = Finite(s.GapStdError), ["neurons"] = s.Neurons,
            }).ToArray()),
        };
        return System.Text.Encoding.UTF8.GetBytes(summary.ToJsonString());
    }

    /// <inheritdoc/>
    protected override object?[] ColumnValues(PureRecord result) => [result.K];

    /// <inheritdoc/>
    protected override void WriteTables(AtlasDatabase db, string layer, int neuron, PureRecord result)
    {
        ArgumentNullException.ThrowIfNull(db);
        foreach (VirtualNeuronRecord v in result.VirtualNeurons)
            db.Execute("INSERT INTO virtual_neurons VALUES ($layer, $neuron, $lower, $vn, $size, $share, $top1)",
                ("$layer", layer), ("$neuron", neuron), ("$lower", result.LowerLayer), ("$vn", v.Id), ("$size", v.Size),
                ("$share", v.Share), ("$top1", v.TopInputs.Length > 0 ? v.TopInputs[0] : null));
    }

    /// <inheritdoc/>
    protected override IEnumerable<long> References(PureRecord result) => result.VirtualNeurons.SelectMany(v => v.TopInputs.Take(ReportContext.Shown));

    /// <inheritdoc/>
    protected override string? Card(NeuronRecord<PureRecord> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        PureRecord r = record.Result;
        return string.Create(CultureInfo.InvariantCulture,
            $"<div class=\"card\"><h3>PURE</h3><div class=\"big\" id=\"vn-count\">{r.VirtualNeurons.Length} virtual neurons</div><div>k = {r.K}, circuits from {Html.E(r.LowerLayer)}</div></div>");
    }

    /// <inheritdoc/>
    protected override string Section(ReportContext context, NeuronRecord<PureRecord> record)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(record);
        PureRecord r = record.Result;
        var sb = new StringBuilder(ReportContext.Heading("pure", "Virtual neurons (PURE)",
            string.Create(CultureInfo.InvariantCulture, $"{r.References.Length} references split by their circuits in {Html.E(r.LowerLayer)} into k = {r.K} virtual neurons.")));
        if (r.KSelection is { Count: > 0 } selection)
        {
            sb.Append("<table class=\"kselect\" style=\"width:auto\"><thead><tr><th>k</th><th>score</th></tr></thead><tbody>");
            foreach ((string k, double s) in selection) sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Html.E(k)}</td><td>{Html.Num(s, "0.####")}</td></tr>");
            sb.Append("</tbody></table>");
        }
        FeatureImagesFile? visuals = FeatureImageStore.Read(context.Atlas, Name, record.Layer, record.Neuron);   // from `unravel visualize ATLAS --method pure`
        foreach (VirtualNeuronRecord v in r.VirtualNeurons)
            sb.Append(CultureInfo.InvariantCulture, $"<section class=\"vn\" id=\"vn-{v.Id}\"><h3>Virtual neuron {v.Id}</h3><p class=\"muted\">{v.Size} references · share {Html.Num(v.Share * 100, "0.#")} % · inputs routed to it, by activation</p>")
              .Append(FeatureImageStore.Figure(context.Atlas, Name, visuals, $"virtual neuron {v.Id}", Svg.ColorOf(v.Id)))
              .Append(context.References(v.TopInputs, [.. v.TopScores.Select(s => (double)s)], "activation")).Append("</section>");
        if (r.Evaluation is { } eval) sb.Append("<details><summary>Evaluation</summary><pre>").Append(Html.E(eval.ToJsonString())).Append("</pre></details>");
        sb.Append(ReportContext.ProvenanceBlock(record.Provenance));
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string? Unavailable(AtlasReader atlas, AtlasLayer layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        return atlas.Dataset?.Kind is "brown" or "text" ? "PURE circuits need an image model with [N, C, H, W] layers; this atlas was collected from text" : null;
    }

    /// <inheritdoc/>
    public override void AnalyseNeuron(AtlasSession session, string layer, int neuron, CancellationToken cancellationToken) =>
        new PureStage().Run(new PureRequest(session, layer, [neuron]), null, cancellationToken);

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
