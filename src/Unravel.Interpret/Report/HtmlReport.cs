// The atlas report (Unravel issue 8): self-contained HTML pages built from an atlas and its method results, used both
// by `unravel report` (written as files, opened from disk) and by `unravel serve` (rendered per request). Pages link to
// each other with relative URLs in one layout, so the same HTML works from file:// and from the server:
//   index.html                        overview: model, data, provenance, layers, polysemanticity distribution
//   layers/<layer folder>.html        sortable neuron table of one layer
//   neurons/<layer folder>/<idx>.html a neuron: statistics, activation histogram, top references, dendrogram,
//                                     concept vectors and PURE virtual neurons with their references and scores
// Everything is inline (CSS, a small sort script, SVG charts, PNG data: URIs); no page requests anything.

using System.Globalization;
using System.Text;
using Unravel.Interpret.Collection;

namespace Unravel.Interpret.Report;

/// <summary>Whether pages are files on disk or answers of the explorer server.</summary>
public enum ReportMode
{
    /// <summary>Files: neuron pages exist only for analysed neurons.</summary>
    Static,

    /// <summary>Served: every neuron has a page; a neuron without results offers on-demand analysis.</summary>
    Served,
}

/// <summary>Renders the report pages of one atlas.</summary>
public sealed class HtmlReport
{
    /// <summary>Neuron pages written for a layer with no analysed neuron (its most active ones).</summary>
    public const int FallbackNeurons = 8;

    private static readonly string[] TableColumns =
        ["idx", "concepts", "polysemanticity", "pure_k", "mean", "std", "max", "frac_pos", "top1_max", "top1_max_input", "topk_max_mean", "nan_count"];

    private readonly AtlasReader _atlas;
    private readonly ReportSources _sources;
    private readonly ReportMode _mode;
    private readonly Dictionary<string, NeuronTable> _tables = [];
    private readonly Dictionary<string, Unravel.Tensors.Tensor?> _tokenActivations = [];

    /// <summary>A report of <paramref name="atlas"/>.</summary>
    public HtmlReport(AtlasReader atlas, ReportSources sources, ReportMode mode)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        ArgumentNullException.ThrowIfNull(sources);
        _atlas = atlas;
        _sources = sources;
        _mode = mode;
    }

    /// <summary>Relative URL of a layer page from the report root.</summary>
    public static string LayerHref(string layer) => $"layers/{AtlasWriter.LayerFolder(layer)}.html";

    /// <summary>Relative URL of a neuron page from the report root.</summary>
    public static string NeuronHref(string layer, int neuron) => $"neurons/{AtlasWriter.LayerFolder(layer)}/{neuron.ToString(CultureInfo.InvariantCulture)}.html";

    /// <summary>Forgets cached tables (after a method wrote new results).</summary>
    public void Invalidate(string layer) => _tables.Remove(layer);

    /// <summary>Neurons of <paramref name="layer"/> with concept or PURE results, ascending.</summary>
    public IReadOnlyList<int> Analysed(string layer) =>
        MethodResults.Analysed(_atlas, MethodResults.Concepts, layer).Union(MethodResults.Analysed(_atlas, MethodResults.Pure, layer)).Order().ToList();

    /// <summary>Neurons that get a page in a static report: the analysed ones, or the <see cref="FallbackNeurons"/> with
    /// the highest top-k mean activation when none is analysed.</summary>
    public IReadOnlyList<int> PageNeurons(string layer)
    {
        IReadOnlyList<int> analysed = Analysed(layer);
        if (analysed.Count > 0) return analysed;
        NeuronTable t = Table(layer);
        return t.Rows.Select(r => (Idx: (int)t.Number(r, "idx")!.Value, Score: t.Number(r, "topk_max_mean") ?? double.NegativeInfinity))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Idx).Take(FallbackNeurons).Select(x => x.Idx).Order().ToList();
    }

    /// <summary>Every page of a static report: (path relative to the report root, renderer).</summary>
    public IEnumerable<(string Path, Func<string> Render)> Pages()
    {
        yield return ("index.html", IndexPage);
        foreach (AtlasLayer layer in _atlas.Layers)
        {
            yield return (LayerHref(layer.Name), () => LayerPage(layer));
            foreach (int n in PageNeurons(layer.Name))
                yield return (NeuronHref(layer.Name, n), () => NeuronPage(layer, n));
        }
    }

    /// <summary>The overview page.</summary>
    public string IndexPage()
    {
        var m = _atlas.Manifest;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h1>Atlas of {Html.E(_atlas.Architecture)}</h1><p class=\"muted\">{Html.E(_atlas.Root)}</p>");
        sb.Append("<div class=\"cards meta\">");
        sb.Append("<div class=\"card\"><h3>Model</h3><dl class=\"kv\">")
          .Append(Kv("architecture", _atlas.Architecture)).Append(Kv("weights", _atlas.ModelSource)).Append(Kv("SHA-256", _atlas.ModelSha256 ?? "–"))
          .Append("</dl></div>");
        sb.Append("<div class=\"card\"><h3>Data</h3><dl class=\"kv\">")
          .Append(Kv("inputs", Html.Int(_atlas.Inputs))).Append(Kv("description", m["dataset"]?["description"]?.ToString()))
          .Append(Kv("content SHA-256", _atlas.DatasetSha256 ?? "–")).Append("</dl></div>");
        sb.Append("<div class=\"card\"><h3>Provenance</h3><dl class=\"kv\">")
          .Append(Kv("tool version", m["tool_version"]?.ToString())).Append(Kv("seed", Html.Int(_atlas.Seed)))
          .Append(Kv("command", m["command"]?.ToString())).Append(Kv("created", m["created_utc"]?.ToString() ?? m["created"]?.ToString() ?? "–"))
          .Append("</dl></div></div>");

        sb.Append("<h2>Layers</h2><div class=\"tablewrap\"><table class=\"sortable\" id=\"layers\"><thead><tr><th>layer</th><th>shape</th><th>neurons</th><th>positions</th><th>analysed</th><th>mean concepts</th><th>mean polysemanticity</th></tr></thead><tbody>");
        foreach (AtlasLayer layer in _atlas.Layers)
        {
            NeuronTable t = Table(layer.Name);
            double[] concepts = Column(t, "concepts");
            double[] poly = Column(t, "polysemanticity");
            sb.Append(CultureInfo.InvariantCulture,
                $"<tr><td><a href=\"{LayerHref(layer.Name)}\">{Html.E(layer.Name)}</a></td><td>[{string.Join(", ", layer.Shape)}]</td><td>{layer.Neurons}</td><td>{layer.Positions}</td><td>{Analysed(layer.Name).Count}</td><td>{(concepts.Length > 0 ? Html.Num(concepts.Average(), "0.00") : "")}</td><td>{(poly.Length > 0 ? Html.Num(poly.Average(), "0.000") : "")}</td></tr>");
        }
        sb.Append("</tbody></table></div>");

        sb.Append("<h2>Polysemanticity</h2>");
        bool any = false;
        sb.Append("<div class=\"cards\">");
        foreach (AtlasLayer layer in _atlas.Layers)
        {
            double[] concepts = Column(Table(layer.Name), "concepts");
            if (concepts.Length == 0) continue;
            any = true;
            int maxK = (int)concepts.Max();
            var counts = new double[Math.Max(maxK, 1)];
            foreach (double k in concepts) if (k >= 1) counts[(int)k - 1]++;
            sb.Append(CultureInfo.InvariantCulture, $"<div class=\"card\"><h3>{Html.E(layer.Name)}</h3><p class=\"muted\">{concepts.Length} analysed neurons, concepts per neuron 1 … {maxK}</p>")
              .Append(Svg.Histogram(counts, 0.5, maxK + 0.5, "concepts per neuron", "poly-hist", 320, 140));
            NeuronTable t = Table(layer.Name);
            var most = t.Rows.Where(r => t.Number(r, "polysemanticity") is { } p && double.IsFinite(p))
                .OrderByDescending(r => t.Number(r, "polysemanticity")).ThenBy(r => t.Number(r, "idx")).Take(5).ToList();
            sb.Append("<p class=\"chips\">most polysemantic: ");
            foreach (object?[] r in most)
            {
                int idx = (int)t.Number(r, "idx")!.Value;
                sb.Append(CultureInfo.InvariantCulture, $"<a href=\"{NeuronHref(layer.Name, idx)}\">{idx} · {Html.Num(t.Number(r, "polysemanticity")!.Value, "0.00")}</a>");
            }
            sb.Append("</p></div>");
        }
        sb.Append("</div>");
        if (!any) sb.Append("<p class=\"note\">No neuron has concept-vector results yet: run <code>unravel concepts ATLAS --layer L</code>, then re-run <code>unravel report</code>.</p>");
        return Html.Page("Overview", [("Overview", null)], sb.ToString());
    }

    /// <summary>The neuron table of one layer.</summary>
    public string LayerPage(AtlasLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        NeuronTable t = Table(layer.Name);
        HashSet<int> pages = _mode == ReportMode.Static ? [.. PageNeurons(layer.Name)] : [];
        HashSet<int> analysed = [.. Analysed(layer.Name)];
        string[] columns = TableColumns.Where(t.Has).ToArray();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h1>{Html.E(layer.Name)}</h1><p class=\"muted\">{layer.Neurons} neurons · activation shape [{string.Join(", ", layer.Shape)}] · {layer.Positions} positions per input · {layer.Inputs} inputs · {analysed.Count} analysed</p>");
        sb.Append("<p class=\"muted\">Click a column header to sort.")
          .Append(_mode == ReportMode.Static ? " Linked neurons have a page." : " Every neuron links to its page; neurons without results can be analysed there.").Append("</p>");
        sb.Append("<div class=\"tablewrap\"><table class=\"sortable\" id=\"neurons\"><thead><tr>");
        foreach (string c in columns) sb.Append("<th>").Append(Html.E(c)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (object?[] row in t.Rows)
        {
            int idx = (int)t.Number(row, "idx")!.Value;
            sb.Append(analysed.Contains(idx) ? "<tr class=\"analysed\">" : "<tr>");
            foreach (string c in columns)
            {
                double? v = t.Number(row, c);
                string text = v is null ? "" : c is "idx" or "concepts" or "pure_k" or "nan_count" or "top1_max_input" ? Html.Int((long)v.Value) : Html.Num(v.Value, "0.####");
                string value = v is null ? "" : Html.Num(v.Value, "R");
                if (c == "idx" && (_mode == ReportMode.Served || pages.Contains(idx)))
                    text = $"<a href=\"../{NeuronHref(layer.Name, idx)}\">{text}</a>";
                sb.Append(CultureInfo.InvariantCulture, $"<td data-v=\"{value}\">{text}</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table></div>");
        return Html.Page(layer.Name, [("Overview", "../index.html"), (layer.Name, null)], sb.ToString());
    }

    /// <summary>The page of one neuron.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The neuron is outside the layer.</exception>
    /// <exception cref="InvalidDataException">A result file is malformed.</exception>
    public string NeuronPage(AtlasLayer layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if ((uint)neuron >= (uint)layer.Neurons)
            throw new ArgumentOutOfRangeException(nameof(neuron), $"report: layer '{layer.Name}' has {layer.Neurons} neurons (0 … {layer.Neurons - 1}); got {neuron}.");
        NeuronTable t = Table(layer.Name);
        object?[]? row = t.Row(neuron);
        TopInputs top = _atlas.TopInputs(layer.Name, neuron, "max");
        ConceptsReport? concepts = MethodResults.ReadConcepts(_atlas, layer.Name, neuron);
        PureReport? pure = MethodResults.ReadPure(_atlas, layer.Name, neuron);
        const int topShown = 16, refShown = 8;

        var refs = new ReferenceRenderer(_sources, layer, neuron);
        if (TokenActivations(layer.Name) is { } acts)
        {
            int k = acts.Dim(0), c = acts.Dim(1), len = acts.Dim(2);
            for (int rank = 0; rank < Math.Min(k, top.Inputs.Length); rank++)
                refs.Preload(top.Inputs[rank], acts.Data.Slice((rank * c + neuron) * len, len).ToArray());
        }
        refs.Prepare(top.Inputs.Take(topShown)
            .Concat(concepts?.Concepts.SelectMany(c => c.TopInputs.Take(refShown)) ?? [])
            .Concat(pure?.VirtualNeurons.SelectMany(v => v.TopInputs.Take(refShown)) ?? []));

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h1>{Html.E(layer.Name)} · neuron {neuron}</h1>");
        sb.Append("<div class=\"cards\"><div class=\"card\"><h3>Statistics</h3><dl class=\"kv\">");
        if (row is not null)
            foreach (string c in new[] { "count", "mean", "std", "min", "max", "frac_pos", "top1_max", "topk_max_mean" })
                if (t.Number(row, c) is { } v) sb.Append(Kv(c, c == "count" ? Html.Int((long)v) : Html.Num(v, "0.####")));
        sb.Append("</dl></div>");
        sb.Append("<div class=\"card\"><h3>Activation histogram</h3>").Append(ActivationHistogram(layer, neuron)).Append("</div>");
        if (concepts is not null)
            sb.Append(CultureInfo.InvariantCulture, $"<div class=\"card\"><h3>Polysemanticity</h3><div class=\"big\" id=\"concept-count\">{concepts.ConceptCount ?? concepts.Concepts.Count} concepts</div>")
              .Append(concepts.Score is { } score ? $"<div>score {Html.Num(score, "0.###")}</div>" : "")
              .Append(concepts.Definition is { } def ? $"<p class=\"muted\">{Html.E(def)}</p>" : "").Append("</div>");
        if (pure is not null)
            sb.Append(CultureInfo.InvariantCulture, $"<div class=\"card\"><h3>PURE</h3><div class=\"big\" id=\"vn-count\">{pure.VirtualNeurons.Count} virtual neurons</div><div>k = {pure.K}{(pure.LowerLayer is { } ll ? $", circuits from {Html.E(ll)}" : "")}</div></div>");
        sb.Append("</div>");

        sb.Append("<h2>Top inputs</h2><p class=\"muted\">Ranked by the maximum activation over positions")
          .Append(layer.Positions <= 1 ? "." : layer.Shape.Length == 3
              ? "; the red box is the receptive field of the unit where the neuron peaks (its feature-map cell when the field covers the whole image)."
              : "; tokens are shaded by the neuron's activation, the outlined one is where it peaks.").Append("</p>")
          .Append(refs.Render(top.Inputs, [.. top.Values.Select(v => (double)v)], top.Positions, topShown, "activation"));

        if (concepts is not null) sb.Append(ConceptsSection(concepts, refs, refShown));
        if (pure is not null) sb.Append(PureSection(pure, refs, refShown));
        if (concepts is null && pure is null)
        {
            sb.Append("<h2>Concepts</h2><p class=\"note\">This neuron has not been analysed yet.");
            if (_mode == ReportMode.Served)
                sb.Append(CultureInfo.InvariantCulture, $"</p><form method=\"post\" action=\"../../api/analyse/{AtlasWriter.LayerFolder(layer.Name)}/{neuron}\"><button type=\"submit\" id=\"analyse\">Run concept vectors on this neuron</button></form>");
            else
                sb.Append(CultureInfo.InvariantCulture, $" Run <code>unravel concepts ATLAS --layer {Html.E(layer.Name)} --neurons {neuron}</code> or open it in <code>unravel serve</code>.</p>");
        }
        return Html.Page($"{layer.Name} · {neuron}", [("Overview", "../../index.html"), (layer.Name, "../../" + LayerHref(layer.Name)), ($"neuron {neuron}", null)], sb.ToString());
    }

    private static string ConceptsSection(ConceptsReport r, ReferenceRenderer refs, int shown)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h2 id=\"concepts\">Concept vectors</h2><p class=\"muted\">{r.TopInputs.Length} top inputs clustered")
          .Append(r.Provenance["pooling"] is { } pooling ? $" on {Html.E(pooling.ToString())}-pooled activations" : "")
          .Append(r.CutHeight is { } cut ? $", tree cut at {Html.Num(cut)}" : "").Append(". Leaves are coloured by concept (grey: outlier).</p>");
        if (r.Linkage.Length > 0) sb.Append(Svg.Dendrogram(r.Linkage, r.Labels, r.CutHeight));
        sb.Append("<p class=\"chips\" id=\"concept-links\">");
        foreach (ReportConcept c in r.Concepts)
            sb.Append(CultureInfo.InvariantCulture, $"<a href=\"#concept-{c.Id}\" style=\"border-color:{Svg.ColorOf(c.Id)}\">concept {c.Id} · {Html.Num(c.Share * 100, "0")} %</a>");
        sb.Append("</p>");
        foreach (ReportConcept c in r.Concepts)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<section class=\"concept\" id=\"concept-{c.Id}\"><h3><span style=\"color:{Svg.ColorOf(c.Id)}\">●</span> Concept {c.Id}</h3>")
              .Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">{c.Size} members · share {Html.Num(c.Share * 100, "0.#")} %")
              .Append(c.LabelEntropy is { } h ? $" · label entropy {Html.Num(h, "0.00")} bits" : "").Append(" · top inputs by projection onto the concept vector</p>")
              .Append(refs.Render(c.TopInputs, c.TopScores, null, shown, "projection")).Append("</section>");
        }
        sb.Append(Provenance(r.Provenance));
        return sb.ToString();
    }

    private static string PureSection(PureReport r, ReferenceRenderer refs, int shown)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h2 id=\"pure\">Virtual neurons (PURE)</h2><p class=\"muted\">{r.References.Length} references split by their circuits")
          .Append(r.LowerLayer is { } ll ? $" in {Html.E(ll)}" : "").Append(CultureInfo.InvariantCulture, $" into k = {r.K} virtual neurons.</p>");
        if (r.KSelection.Count > 0)
        {
            sb.Append("<table class=\"kselect\" style=\"width:auto\"><thead><tr><th>k</th><th>score</th></tr></thead><tbody>");
            foreach ((string k, double s) in r.KSelection) sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Html.E(k)}</td><td>{Html.Num(s, "0.####")}</td></tr>");
            sb.Append("</tbody></table>");
        }
        foreach (ReportConcept v in r.VirtualNeurons)
            sb.Append(CultureInfo.InvariantCulture, $"<section class=\"vn\" id=\"vn-{v.Id}\"><h3>Virtual neuron {v.Id}</h3><p class=\"muted\">{v.Size} references · share {Html.Num(v.Share * 100, "0.#")} % · inputs routed to it, by activation</p>")
              .Append(refs.Render(v.TopInputs, v.TopScores, null, shown, "activation")).Append("</section>");
        if (r.Evaluation is { } eval) sb.Append("<details><summary>Evaluation</summary><pre>").Append(Html.E(eval.ToJsonString())).Append("</pre></details>");
        sb.Append(Provenance(r.Provenance));
        return sb.ToString();
    }

    private static string Provenance(System.Text.Json.Nodes.JsonObject o) =>
        $"<details class=\"provenance\"><summary class=\"muted\">provenance</summary><dl class=\"kv\">{Kv("method", o["method"]?.ToString())}{Kv("tool version", o["tool_version"]?.ToString())}{Kv("seed", o["seed"]?.ToString())}{Kv("created", o["created_utc"]?.ToString())}{Kv("config", o["config"]?.ToJsonString())}</dl></details>";

    private string ActivationHistogram(AtlasLayer layer, int neuron)
    {
        if (!_atlas.Has(layer.Name, "histogram") || !_atlas.Has(layer.Name, "histogram_range")) return "<p class=\"muted\">no histogram in this atlas</p>";
        (long[] counts, int[] shape) = _atlas.ReadInt64(layer.Name, "histogram");
        int bins = shape[1];
        ReadOnlySpan<float> range = _atlas.ReadFloat(layer.Name, "histogram_range").Data;
        double[] row = counts.AsSpan(neuron * bins, bins).ToArray().Select(c => (double)c).ToArray();
        return Svg.Histogram(row, range[neuron * 2], range[neuron * 2 + 1], "activation", "act-hist", logScale: true);
    }

    /// <summary>The per-token activations [K, C, T] of the top_max references that collection recorded for a token layer, or null.</summary>
    private Unravel.Tensors.Tensor? TokenActivations(string layer)
    {
        if (!_tokenActivations.TryGetValue(layer, out Unravel.Tensors.Tensor? t))
            _tokenActivations[layer] = t = _atlas.Has(layer, ReferenceVisuals.TokenActivationsArray) ? _atlas.ReadFloat(layer, ReferenceVisuals.TokenActivationsArray) : null;
        return t;
    }

    private NeuronTable Table(string layer)
    {
        if (!_tables.TryGetValue(layer, out NeuronTable? t)) _tables[layer] = t = NeuronTable.Read(_atlas, layer);
        return t;
    }

    private static double[] Column(NeuronTable t, string column) =>
        t.Has(column) ? t.Rows.Select(r => t.Number(r, column)).Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).ToArray() : [];

    private static string Kv(string key, string? value) => $"<dt>{Html.E(key)}</dt><dd>{Html.E(value ?? "–")}</dd>";
}
