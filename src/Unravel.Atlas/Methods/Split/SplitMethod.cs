// Channel splitting (Hesse, Fischer, Schaub-Meyer, Roth 2025, "Disentangling Polysemantic Channels in Convolutional
// Neural Networks", arXiv 2504.12939) as a registered method: a split channel's record (neuron file of the convolution's
// layer), the per-layer search file find.json, the neurons-table columns split_class1, split_class2 and split_rho, and the neuron page's
// split panel: top held-out references of the original channel and of both split channels coloured by class (concept 1,
// concept 2, other), the D/A table and the card.

using System.Globalization;
using System.Text;
using System.Text.Json;
using Unravel.Atlas.Report;
using Unravel.Interpret.ChannelSplit;
using Unravel.IO;

namespace Unravel.Atlas.Methods;

/// <summary>The "split" method.</summary>
public sealed class SplitMethod : AtlasMethod<SplitRecord>
{
    private SplitMethod() : base("split", "Channel splitting", SplitJson.Default.NeuronRecordSplitRecord)
    {
    }

    /// <summary>The registered instance.</summary>
    public static SplitMethod Instance { get; } = new();

    /// <inheritdoc/>
    public override IReadOnlyList<NeuronColumn> Columns { get; } =
    [
        new("split_class1", "INTEGER", "class t1 whose concept keeps the split channel"),
        new("split_class2", "INTEGER", "class t2 whose concept moves to the new channel"),
        new("split_rho", "REAL", "ρ of the split's input-channel partition"),
    ];

    /// <inheritdoc/>
    protected override object?[] ColumnValues(SplitRecord result) =>
        [result.Class1, result.Class2, result.Card.Rho];

    /// <summary>Path of a layer's search file (it may not exist).</summary>
    public string FindPath(AtlasReader atlas, string layer)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        return atlas.PathOf("methods", Name, AtlasWriter.LayerFolder(layer), "find.json");
    }

    /// <summary>Writes a layer's search file in one atomic step under the atlas's lock (AtlasCommit).</summary>
    public void WriteFind(AtlasReader atlas, SplitFindFile file)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        ArgumentNullException.ThrowIfNull(file);
        using AtlasCommit commit = AtlasCommit.Begin(atlas.Root, Name);
        commit.Stage(Path.GetRelativePath(atlas.Root, FindPath(atlas, atlas.Layer(file.Layer).Name)), JsonSerializer.SerializeToUtf8Bytes(file, SplitJson.Default.SplitFindFile));
        commit.Commit();
    }

    /// <summary>A layer's search file, or null when there is none.</summary>
    /// <exception cref="AtlasFormatException">The file is malformed or from a newer format.</exception>
    public SplitFindFile? ReadFind(AtlasReader atlas, string layer) =>
        MethodFile.Read(FindPath(atlas, layer), SplitJson.Default.SplitFindFile, "a split search", "unravel split ATLAS --layer L --find",
            f => f.Find is null || f.Provenance is null || f.Images is null ? null : f.FormatVersion);

    /// <summary>The card as the exported split-card.json holds it.</summary>
    public static byte[] CardJson(ChannelSplitCard card) => JsonSerializer.SerializeToUtf8Bytes(card, SplitJson.Default.ChannelSplitCard);

    /// <inheritdoc/>
    protected override IEnumerable<long> References(SplitRecord result) => result.References.SelectMany(r => r.Inputs.Take(ReportContext.Shown));

    /// <inheritdoc/>
    protected override string? Card(NeuronRecord<SplitRecord> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        SplitRecord r = record.Result;
        return $"<div class=\"card\"><h3>Channel split</h3><div class=\"big\" id=\"split-pair\">{Html.E(ClassName(r, r.Class1))} | {Html.E(ClassName(r, r.Class2))}</div>" +
            $"<div>ρ {Html.Num(r.Card.Rho, "0.00")} · cos {Html.Num(r.Cosine, "0.000")} · max |Δlogit| {Html.E(r.MaxAbsLogitDiff.ToString("0.0e0", CultureInfo.InvariantCulture))}</div></div>";
    }

    /// <inheritdoc/>
    protected override string Section(ReportContext context, NeuronRecord<SplitRecord> record)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(record);
        SplitRecord r = record.Result;
        ChannelSplitCard card = r.Card;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h2 id=\"split\">Channel split</h2><p class=\"muted\">Channel {r.Channel} of {Html.E(card.Layer)} split into ")
          .Append(CultureInfo.InvariantCulture, $"<span style=\"color:{Svg.ColorOf(0)}\">● concept 1 ({Html.E(ClassName(r, r.Class1))})</span> and ")
          .Append(CultureInfo.InvariantCulture, $"<span style=\"color:{Svg.ColorOf(1)}\">● concept 2 ({Html.E(ClassName(r, r.Class2))})</span>; ")
          .Append(CultureInfo.InvariantCulture, $"hook <code>{Html.E(card.HookName)}</code>. Found and ρ chosen on {r.Images.FindImages} images, ")
          .Append(CultureInfo.InvariantCulture, $"evaluated on {r.Images.EvaluationImages} held-out images ({Html.E(r.Images.Partition)}). ")
          .Append("References are the held-out images with the largest summed activation, coloured by their class (grey: another class).</p>");
        FeatureImagesFile? visuals = FeatureImageStore.Read(context.Atlas, Name, record.Layer, r.Channel);
        if (visuals is { Images.Length: > 0 })
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">Beside each channel: its feature visualisation (activation maximisation, seed {visuals.Images[0].Seed}, {visuals.Images[0].Steps} steps), framed in its concept's colour.</p>");
        foreach (SplitReferencesRecord refs in r.References)
        {
            string frame = refs.Name switch { "concept 1" => Svg.ColorOf(0), "concept 2" => Svg.ColorOf(1), _ => "#333" };
            sb.Append(CultureInfo.InvariantCulture, $"<section class=\"split-channel\" style=\"border-left:4px solid {frame};padding-left:8px\"><h3>{Html.E(refs.Name)} <span class=\"muted\">{Html.E(refs.Hook)}</span></h3>")
              .Append("<div style=\"display:flex;gap:12px;align-items:flex-start\">").Append(FeatureImageStore.Figure(context.Atlas, Name, visuals, refs.Name, frame))
              .Append("<div><p class=\"chips\">");
            foreach (int label in refs.Labels.Take(ReportContext.Shown))
            {
                int concept = label == r.Class1 ? 0 : label == r.Class2 ? 1 : -1;
                sb.Append(CultureInfo.InvariantCulture, $"<span style=\"color:{Svg.ColorOf(concept)}\">● {Html.E(ClassName(r, label))}</span> ");
            }
            sb.Append("</p>").Append(context.References(refs.Inputs, refs.Values, "Σ activation")).Append("</div></div></section>");
        }
        sb.Append("<h3>Held-out D/A</h3><table id=\"split-da\"><tr><th>class</th><th>images</th><th>kept</th><th>D1/A</th><th>D2/A</th><th>R/A</th></tr>");
        foreach (SplitClassSummary c in r.Classes)
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Html.E(ClassName(r, c.Class))}</td><td>{c.Images}</td><td>{c.Kept}</td><td>{Html.Num(c.D1OverA, "0.000")}</td>")
              .Append(CultureInfo.InvariantCulture, $"<td>{Html.Num(c.D2OverA, "0.000")}</td><td>{Html.Num(c.ROverA, "0.000")}</td></tr>");
        sb.Append("</table>").Append(CultureInfo.InvariantCulture,
            $"<p class=\"muted\">A: the original channel's summed output; D1, D2: the concept rows; R: the shared row (D1 + D2 − R = A). Max |logit difference| {r.MaxAbsLogitDiff.ToString("0.0e0", CultureInfo.InvariantCulture)} (largest |logit| {Html.Num(r.MaxAbsLogit, "0.0")}).</p>");
        sb.Append("<h3>Card</h3><dl class=\"kv\" id=\"split-card\">")
          .Append(Kv("ρ", $"{Html.Num(card.Rho, "0.00")} ({card.RhoCriterion}; robust ρ {Html.Num(r.Rho.RobustRho, "0.00")})"))
          .Append(Kv("τ, p, γ", $"{Html.Num(card.Tau)}, {Html.Num(card.P)}, {Html.Num(card.Gamma)} (γ-low {Html.Num(card.GammaLow)})"))
          .Append(Kv("ARV cosine", Html.Num(card.Cosine, "0.000")))
          .Append(Kv("input channels (concept 1 / concept 2 / shared)", $"{card.Concept1Inputs.Length} / {card.Concept2Inputs.Length} / {card.SharedInputs.Length}"))
          .Append(Kv("source SHA-256", card.SourceSha256 ?? "-"))
          .Append(Kv("exported to", r.Export ?? "-")).Append("</dl>");
        sb.Append(ReportContext.ProvenanceBlock(record.Provenance));
        return sb.ToString();
    }

    /// <inheritdoc/>
    /// <remarks>Never on demand: a split needs a class pair chosen from the layer's search and an export folder.</remarks>
    public override string? Unavailable(AtlasReader atlas, AtlasLayer layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return $"a channel split needs a class pair and an export folder: run `unravel split ATLAS --layer {layer.Name} --find`, "
            + $"then `unravel split ATLAS --layer {layer.Name} --channel {neuron.ToString(CultureInfo.InvariantCulture)} --classes t1,t2 --out DIR`";
    }

    /// <inheritdoc/>
    public override void AnalyseNeuron(AtlasSession session, string layer, int neuron, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        throw new AnalysisException("split: " + Unavailable(session.Atlas, session.Layer(layer), neuron));
    }

    private static string ClassName(SplitRecord r, int label) =>
        r.ClassNames is { } names && (uint)label < (uint)names.Count ? names[label] : "class " + label.ToString(CultureInfo.InvariantCulture);

    /// <summary>The name of class <paramref name="label"/> in a record ("class 3" without names).</summary>
    public static string ClassOf(SplitRecord r, int label) => ClassName(r, label);

    private static string Kv(string key, string value) => $"<dt>{Html.E(key)}</dt><dd>{Html.E(value)}</dd>";
}
