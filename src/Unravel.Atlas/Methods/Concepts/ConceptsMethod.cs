// Concept vectors (O'Mahony et al. 2023, "Disentangling neuron representations with concept vectors", CVPR
// Workshops, §3) as a registered method: its record, its neurons-table columns (concepts, polysemanticity), its table
// concepts(layer, neuron, concept, size, share, top1_input, top1_score), its report section (the dendrogram of the
// clustered top inputs and each concept with its best inputs by projection) and its on-demand run.

using System.Globalization;
using System.Text;
using Unravel.Atlas.Report;
using Unravel.Atlas.Stages;
using Unravel.Interpret.Concepts;

namespace Unravel.Atlas.Methods;

/// <summary>The "concepts" method.</summary>
public sealed class ConceptsMethod : AtlasMethod<ConceptsRecord>
{
    private ConceptsMethod() : base("concepts", "Concept vectors", ConceptsJson.Default.NeuronRecordConceptsRecord)
    {
    }

    /// <summary>The registered instance.</summary>
    public static ConceptsMethod Instance { get; } = new();

    /// <inheritdoc/>
    public override IReadOnlyList<NeuronColumn> Columns { get; } =
    [
        new("concepts", "INTEGER", "concepts found among the neuron's top inputs"),
        new("polysemanticity", "REAL", "effective number of concepts, exp(entropy of their shares)"),
    ];

    /// <inheritdoc/>
    protected override (string Create, string Delete)? Tables =>
        ("CREATE TABLE IF NOT EXISTS concepts (layer TEXT NOT NULL, neuron INTEGER NOT NULL, concept INTEGER NOT NULL, " +
         "size INTEGER, share REAL, top1_input INTEGER, top1_score REAL, PRIMARY KEY (layer, neuron, concept))",
         "DELETE FROM concepts WHERE layer = $layer AND neuron = $neuron");

    /// <summary>The stored record of an analysis result.</summary>
    /// <param name="result">The algorithm's result (rows index the pooled matrix).</param>
    /// <param name="top">The top-k table it was analysed from.</param>
    /// <param name="rowInputs">Dataset index of every pooled row.</param>
    /// <param name="ranking">"max" or "mean".</param>
    /// <param name="pooling">"mean" or "max".</param>
    public static ConceptsRecord Record(ConceptResult result, TopInputs top, long[] rowInputs, string ranking, string pooling)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(top);
        long[] Inputs(IEnumerable<int> rows) => rows.Select(i => rowInputs[i]).ToArray();
        return new ConceptsRecord(ranking, pooling, Inputs(result.TopRows), top.Values.Take(result.TopRows.Length).ToArray(),
            result.Linkage?.Merges.Select(m => new double[] { m.Left, m.Right, m.Height, m.Size }).ToArray() ?? [],
            result.CutHeight, double.IsFinite(result.Radius) ? result.Radius : null, result.Scale, result.Labels,
            result.Concepts.Select(c => new ConceptRecord(c.Id, c.Size, c.Share, Inputs(c.Members), c.Vector, Inputs(c.TopRows), c.TopScores, c.LabelEntropy)).ToArray(),
            new PolysemanticityRecord(result.Polysemanticity.Concepts, result.Polysemanticity.Score, Polysemanticity.Definition, result.Polysemanticity.Separation),
            result.LabelEntropy);
    }

    /// <inheritdoc/>
    protected override string? Problem(ConceptsRecord result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Svg.LinkageProblem(result.Linkage);
    }

    /// <inheritdoc/>
    protected override object?[] ColumnValues(ConceptsRecord result) => [result.Polysemanticity.Concepts, result.Polysemanticity.Score];

    /// <inheritdoc/>
    protected override void WriteTables(AtlasDatabase db, string layer, int neuron, ConceptsRecord result)
    {
        ArgumentNullException.ThrowIfNull(db);
        foreach (ConceptRecord c in result.Concepts)
            db.Execute("INSERT INTO concepts VALUES ($l, $i, $c, $s, $sh, $t, $ts)", ("$l", layer), ("$i", neuron), ("$c", c.Id),
                ("$s", c.Size), ("$sh", c.Share), ("$t", c.TopInputs.Length > 0 ? c.TopInputs[0] : null),
                ("$ts", c.TopScores.Length > 0 ? (double)c.TopScores[0] : null));
    }

    /// <inheritdoc/>
    protected override IEnumerable<long> References(ConceptsRecord result) => result.Concepts.SelectMany(c => c.TopInputs.Take(ReportContext.Shown));

    /// <inheritdoc/>
    protected override string? Card(NeuronRecord<ConceptsRecord> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        PolysemanticityRecord p = record.Result.Polysemanticity;
        return $"<div class=\"card\"><h3>Polysemanticity</h3><div class=\"big\" id=\"concept-count\">{Html.Int(p.Concepts)} concepts</div>" +
            $"<div>score {Html.Num(p.Score, "0.###")}</div><p class=\"muted\">{Html.E(p.Definition)}</p></div>";
    }

    /// <inheritdoc/>
    protected override string Section(ReportContext context, NeuronRecord<ConceptsRecord> record)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(record);
        ConceptsRecord r = record.Result;
        var sb = new StringBuilder(ReportContext.Heading("concepts", "Concept vectors",
            $"{r.TopInputs.Length} top inputs clustered on {Html.E(r.Pooling)}-pooled activations" +
            (r.CutHeight is { } cut ? $", tree cut at {Html.Num(cut)}" : "") + ". Leaves are coloured by concept (grey: outlier)."));
        if (r.Linkage.Length > 0) sb.Append(Svg.Dendrogram(r.Linkage, r.Labels, r.CutHeight));
        sb.Append("<p class=\"chips\" id=\"concept-links\">");
        foreach (ConceptRecord c in r.Concepts)
            sb.Append(CultureInfo.InvariantCulture, $"<a href=\"#concept-{c.Id}\" style=\"border-color:{Svg.ColorOf(c.Id)}\">concept {c.Id} · {Html.Num(c.Share * 100, "0")} %</a>");
        sb.Append("</p>");
        FeatureImagesFile? visuals = FeatureImageStore.Read(context.Atlas, Name, record.Layer, record.Neuron);   // from `unravel visualize ATLAS --method concepts`
        foreach (ConceptRecord c in r.Concepts)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<section class=\"concept\" id=\"concept-{c.Id}\"><h3><span style=\"color:{Svg.ColorOf(c.Id)}\">●</span> Concept {c.Id}</h3>")
              .Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">{c.Size} members · share {Html.Num(c.Share * 100, "0.#")} %")
              .Append(c.LabelEntropy is { } h ? $" · label entropy {Html.Num(h, "0.00")} bits" : "").Append(" · top inputs by projection onto the concept vector</p>")
              .Append(FeatureImageStore.Figure(context.Atlas, Name, visuals, $"concept {c.Id}", Svg.ColorOf(c.Id)))
              .Append(context.References(c.TopInputs, [.. c.TopScores.Select(s => (double)s)], "projection")).Append("</section>");
        }
        sb.Append(ReportContext.ProvenanceBlock(record.Provenance));
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string? Unavailable(AtlasReader atlas, AtlasLayer layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        ArgumentNullException.ThrowIfNull(layer);
        return atlas.Has(layer.Name, "pooled_mean") ? null : $"concept vectors cluster the pooled vectors; '{layer.Name}' was collected without them (--no-pooled)";
    }

    /// <inheritdoc/>
    public override void AnalyseNeuron(AtlasSession session, string layer, int neuron, CancellationToken cancellationToken) =>
        new ConceptsStage().Run(new ConceptsRequest(session, layer, [neuron]), null, cancellationToken);
}
