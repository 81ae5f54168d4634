// The atlas report: self-contained HTML pages built from an atlas and its method results, used both
// by `unravel report` (written as files, opened from disk) and by `unravel serve` (rendered per request). Pages link to
// each other with relative URLs in one layout, so the same HTML works from file:// and from the server:
//   index.html                        overview: model, data, provenance, layers, polysemanticity distribution
//   layers/<layer folder>.html        sortable neuron table of one layer
//   neurons/<layer folder>/<idx>.html a neuron: statistics, activation histogram, top references, dendrogram,
//                                     concept vectors and PURE virtual neurons with their references and scores
// Everything is inline (CSS, a small sort script, SVG charts, PNG data: URIs); no page requests anything.

using System.Globalization;
using System.Text;
using Unravel.Atlas.Methods;

namespace Unravel.Atlas.Report;

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

    // The collection's columns shown in a layer table; each registered method's columns follow idx.
    private static readonly string[] StatisticColumns = ["mean", "std", "max", "frac_pos", "top1_max", "top1_max_input", "topk_max_mean", "nan_count"];

    private static string[] TableColumns => ["idx", .. MethodRegistry.Columns.Select(c => c.Name), .. StatisticColumns];

    private static HashSet<string> IntegerColumns =>
        ["idx", "nan_count", "top1_max_input", .. MethodRegistry.Columns.Where(c => c.IsInteger).Select(c => c.Name)];

    // More top inputs than any concepts run clusters: its Ward linkage is quadratic in them.
    private const int MaxConcepts = 1 << 20;

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

    /// <summary>Relative URL of the explorer's on-demand analysis of one neuron by <paramref name="method"/>.</summary>
    public static string AnalyseHref(string method, string layer, int neuron) =>
        $"api/analyse/{method}/{AtlasWriter.LayerFolder(layer)}/{neuron.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Forgets cached tables (after a method wrote new results).</summary>
    public void Invalidate(string layer) => _tables.Remove(layer);

    /// <summary>Neurons of <paramref name="layer"/> with a result of any registered method, ascending.</summary>
    public IReadOnlyList<int> Analysed(string layer) => MethodRegistry.All.SelectMany(m => m.Analysed(_atlas, layer)).Distinct().Order().ToList();

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
    /// <exception cref="AtlasFormatException">atlas.db is damaged or holds values that are no neuron statistics.</exception>
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
            // A count of concepts is a whole number no larger than the inputs clustered; the histogram below has one bin per count.
            foreach (double k in concepts)
                if (k < 0 || k > Math.Min(layer.Inputs, MaxConcepts) || k != Math.Floor(k))
                    throw new AtlasFormatException(_atlas.DatabasePath, string.Create(CultureInfo.InvariantCulture,
                        $"layer '{layer.Name}': the concepts column holds {k}, not a count of concepts among {layer.Inputs} inputs."),
                        "re-run `unravel concepts` on the layer");
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
    /// <exception cref="AtlasFormatException">atlas.db is damaged or holds rows that are no neurons of the layer.</exception>
    public string LayerPage(AtlasLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        NeuronTable t = Table(layer.Name);
        HashSet<int> pages = _mode == ReportMode.Static ? [.. PageNeurons(layer.Name)] : [];
        HashSet<int> analysed = [.. Analysed(layer.Name)];
        string[] columns = TableColumns.Where(t.Has).ToArray();
        HashSet<string> integers = IntegerColumns;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h1>{Html.E(layer.Name)}</h1><p class=\"muted\">{layer.Neurons} neurons · activation shape [{string.Join(", ", layer.Shape)}] · {layer.Positions} positions per input · {layer.Inputs} inputs · {analysed.Count} analysed</p>");
        sb.Append("<p class=\"muted\">Click a column header to sort.")
          .Append(_mode == ReportMode.Static ? " Linked neurons have a page." : " Every neuron links to its page; neurons without results can be analysed there.").Append("</p>");
        sb.Append("<p><button type=\"button\" id=\"random-neuron\" onclick=\"var a=document.querySelectorAll('#neurons tbody a');if(a.length)location.href=a[Math.floor(Math.random()*a.length)].href\">Random neuron</button></p>");
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
                string text = v is null ? "" : integers.Contains(c) ? Html.Int((long)v.Value) : Html.Num(v.Value, "0.####");
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
    /// <exception cref="AtlasFormatException">A result file is malformed or from a newer format.</exception>
    public string NeuronPage(AtlasLayer layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if ((uint)neuron >= (uint)layer.Neurons)
            throw new ArgumentOutOfRangeException(nameof(neuron), $"report: layer '{layer.Name}' has {layer.Neurons} neurons (0 … {layer.Neurons - 1}); got {neuron}.");
        NeuronTable t = Table(layer.Name);
        object?[]? row = t.Row(neuron);
        TopInputs top = _atlas.TopInputs(layer.Name, neuron, "max");
        const int topShown = 16;

        var refs = new ReferenceRenderer(_sources, layer, neuron);
        if (TokenActivations(layer.Name) is { } acts)
        {
            int k = acts.Dim(0), c = acts.Dim(1), len = acts.Dim(2);
            for (int rank = 0; rank < Math.Min(k, top.Inputs.Length); rank++)
                refs.Preload(top.Inputs[rank], acts.Data.Slice((rank * c + neuron) * len, len).ToArray());
        }
        refs.Prepare(top.Inputs.Take(topShown).Concat(MethodRegistry.All.SelectMany(m => m.References(_atlas, layer.Name, neuron))));
        var context = new ReportContext(_atlas, refs, _mode);

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h1>{Html.E(layer.Name)} · neuron {neuron}</h1>");
        sb.Append("<div class=\"cards\"><div class=\"card\"><h3>Statistics</h3><dl class=\"kv\">");
        if (row is not null)
            foreach (string c in new[] { "count", "mean", "std", "min", "max", "frac_pos", "top1_max", "topk_max_mean" })
                if (t.Number(row, c) is { } v) sb.Append(Kv(c, c == "count" ? Html.Int((long)v) : Html.Num(v, "0.####")));
        sb.Append("</dl></div>");
        sb.Append("<div class=\"card\"><h3>Activation histogram</h3>").Append(ActivationHistogram(layer, neuron)).Append("</div>");
        foreach (IAtlasMethod method in MethodRegistry.All) sb.Append(method.Card(_atlas, layer.Name, neuron));
        sb.Append("</div>");

        sb.Append("<h2>Top inputs</h2><p class=\"muted\">Ranked by the maximum activation over positions")
          .Append(layer.Positions <= 1 ? "." : layer.Shape.Length == 3
              ? "; the red box is the receptive field of the unit where the neuron peaks (its feature-map cell when the field covers the whole image)."
              : "; tokens are shaded by the neuron's activation, the outlined one is where it peaks.").Append("</p>")
          .Append(refs.Render(top.Inputs, [.. top.Values.Select(v => (double)v)], top.Positions, topShown, "activation"));

        var missing = new List<IAtlasMethod>();
        foreach (IAtlasMethod method in MethodRegistry.All)
        {
            if (method.Section(context, layer.Name, neuron) is { } section) sb.Append(section);
            else missing.Add(method);
        }
        if (missing.Count == MethodRegistry.All.Count)
        {
            sb.Append("<h2>Concepts</h2><p class=\"note\">This neuron has not been analysed yet.");
            if (_mode == ReportMode.Static)
                sb.Append(CultureInfo.InvariantCulture, $" Run <code>unravel {missing[0].Name} ATLAS --layer {Html.E(layer.Name)} --neurons {neuron}</code> or open it in <code>unravel serve</code>.");
            sb.Append("</p>");
        }
        if (_mode == ReportMode.Served && missing.Count > 0)
        {
            // One button per method without a result that can run here; the first registered method's is "#analyse", the
            // others "#analyse-<name>". Methods that cannot run on demand here are listed, disabled, with the reason.
            var blocked = missing.Select(m => (Method: m, Why: m.Unavailable(_atlas, layer, neuron))).ToList();
            sb.Append("<div class=\"chips\">");
            foreach ((IAtlasMethod method, _) in blocked.Where(b => b.Why is null))
                sb.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"../../{AnalyseHref(method.Name, layer.Name, neuron)}\"><button type=\"submit\" id=\"{(method == MethodRegistry.All[0] ? "analyse" : "analyse-" + method.Name)}\">Run {Html.E(method.Title)} on this neuron</button></form>");
            sb.Append("</div>");
            if (blocked.Any(b => b.Why is not null))
            {
                sb.Append("<details class=\"muted\" id=\"unavailable\"><summary>Not available on demand here</summary><ul>");
                foreach ((IAtlasMethod method, string? why) in blocked.Where(b => b.Why is not null))
                    sb.Append(CultureInfo.InvariantCulture, $"<li><button type=\"button\" disabled id=\"unavailable-{method.Name}\" title=\"{Html.E(why!)}\">Run {Html.E(method.Title)}</button> {Html.E(why!)}</li>");
                sb.Append("</ul></details>");
            }
        }
        return Html.Page($"{layer.Name} · {neuron}", [("Overview", "../../index.html"), (layer.Name, "../../" + LayerHref(layer.Name)), ($"neuron {neuron}", null)], sb.ToString());
    }

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

    private static string Kv(string key, string? value) => ReportContext.Kv(key, value);
}
