// Neuron embeddings (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166) as a
// registered method: its record, its neurons-table columns (clusters, max_dist, mean_dist), its table
// embed_clusters(layer, neuron, cluster, size, central_input, central_position), its report section (the text
// explorer: the dendrogram, one tab per feature cluster with token windows coloured by activation, a token-importance
// toggle for the central example, links to similar features) and its on-demand run.

using System.Globalization;
using System.Text;
using Unravel.Atlas.Report;
using Unravel.Atlas.Stages;

namespace Unravel.Atlas.Methods;

/// <summary>The "embed" method.</summary>
public sealed class EmbedMethod : AtlasMethod<EmbedRecord>
{
    private EmbedMethod() : base("embed", "Neuron embeddings", EmbedJson.Default.NeuronRecordEmbedRecord)
    {
    }

    /// <summary>The registered instance.</summary>
    public static EmbedMethod Instance { get; } = new();

    /// <inheritdoc/>
    public override IReadOnlyList<NeuronColumn> Columns { get; } =
    [
        new("clusters", "INTEGER", "feature clusters of the neuron embeddings at cosine distance 0.5"),
        new("max_dist", "REAL", "largest cosine distance between two examples' neuron embeddings"),
        new("mean_dist", "REAL", "mean cosine distance between the examples' neuron embeddings"),
    ];

    /// <inheritdoc/>
    protected override (string Create, string Delete)? Tables =>
        ("CREATE TABLE IF NOT EXISTS embed_clusters (layer TEXT NOT NULL, neuron INTEGER NOT NULL, cluster INTEGER NOT NULL, " +
         "size INTEGER, central_input INTEGER, central_position INTEGER, PRIMARY KEY (layer, neuron, cluster))",
         "DELETE FROM embed_clusters WHERE layer = $layer AND neuron = $neuron");

    /// <inheritdoc/>
    protected override object?[] ColumnValues(EmbedRecord result) => [result.Clusters.Length, result.MaxDist, result.MeanDist];

    /// <inheritdoc/>
    protected override void WriteTables(AtlasDatabase db, string layer, int neuron, EmbedRecord result)
    {
        ArgumentNullException.ThrowIfNull(db);
        foreach (EmbedClusterRecord c in result.Clusters)
        {
            EmbedExampleRecord central = result.Examples[c.Central];
            db.Execute("INSERT INTO embed_clusters VALUES ($l, $i, $c, $s, $ci, $cp)", ("$l", layer), ("$i", neuron), ("$c", c.Id), ("$s", c.Size),
                ("$ci", central.Input), ("$cp", central.Position));
        }
    }

    /// <inheritdoc/>
    protected override IEnumerable<long> References(EmbedRecord result) => [];

    /// <inheritdoc/>
    protected override string? Card(NeuronRecord<EmbedRecord> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        EmbedRecord r = record.Result;
        return $"<div class=\"card\"><h3>Feature clusters</h3><div class=\"big\" id=\"embed-count\">{Html.Int(r.Clusters.Length)} clusters</div>" +
            $"<div>MaxDist {Html.Num(r.MaxDist, "0.000")} · MeanDist {Html.Num(r.MeanDist, "0.000")}</div>" +
            $"<p class=\"muted\">{r.Examples.Length} examples, neuron embeddings ({Html.E(r.Variant)})</p></div>";
    }

    /// <inheritdoc/>
    protected override string Section(ReportContext context, NeuronRecord<EmbedRecord> record)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(record);
        EmbedRecord r = record.Result;
        var sb = new StringBuilder();
        sb.Append("<style>").Append(Css).Append("</style>");
        sb.Append("<section id=\"embed\"><h2>Feature clusters (neuron embeddings)</h2><p class=\"muted\">")
          .Append(CultureInfo.InvariantCulture, $"{r.Examples.Length} characteristic examples ({(r.Selection == "first" ? $"first over {Html.Num(r.Ratio, "0.##")} × max" : "top-k")}), ")
          .Append(CultureInfo.InvariantCulture, $"embeddings e = h ⊙ w ({Html.E(r.Variant)}), average linkage on cosine distance cut at {Html.Num(r.Threshold, "0.##")}. ")
          .Append(CultureInfo.InvariantCulture, $"MaxDist {Html.Num(r.MaxDist, "0.000")}, MeanDist {Html.Num(r.MeanDist, "0.000")}")
          .Append(r.Intra is { } intra ? $", intra {Html.Num(intra, "0.000")}" : "").Append(r.Inter is { } inter ? $", inter {Html.Num(inter, "0.000")}" : "")
          .Append(r.Ari is { } ari ? $"; against part-of-speech tags ARI {Html.Num(ari, "0.00")}, NMI {Html.Num(r.Nmi ?? double.NaN, "0.00")}" : "")
          .Append(CultureInfo.InvariantCulture, $". Raw pre-MLP vectors: {r.Raw.Clusters} clusters, MaxDist {Html.Num(r.Raw.MaxDist, "0.000")}.</p>");
        if (r.Linkage.Length > 0) sb.Append("<div id=\"embed-dendrogram\">").Append(Svg.Dendrogram(r.Linkage, [.. r.Examples.Select(e => e.Cluster)], r.Threshold)).Append("</div>");
        sb.Append("<p><label><input type=\"checkbox\" id=\"embed-importance\"> colour the central example by token importance</label></p>");
        sb.Append("<div class=\"embed-tabs\" role=\"tablist\">");
        foreach (EmbedClusterRecord c in r.Clusters)
            sb.Append(CultureInfo.InvariantCulture, $"<button type=\"button\" role=\"tab\" class=\"embed-tab{(c.Id == 0 ? " active" : "")}\" id=\"embed-tab-{c.Id}\" data-panel=\"feature-{c.Id}\" style=\"border-bottom-color:{Svg.ColorOf(c.Id)}\">feature {c.Id} · {c.Size}</button>");
        sb.Append("</div>");
        foreach (EmbedClusterRecord c in r.Clusters)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<div class=\"embed-panel\" id=\"feature-{c.Id}\" role=\"tabpanel\"{(c.Id == 0 ? "" : " hidden")}>")
              .Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">{c.Size} examples · share {Html.Num(100.0 * c.Size / Math.Max(1, r.Examples.Length), "0.#")} %")
              .Append(TagSummary(r, c)).Append(" · the central example first</p>");
            for (int w = 0; w < c.Windows.Length; w++) sb.Append(Window(c.Windows[w], w == 0 ? c.Importance : null, w == 0));
            sb.Append("<p class=\"chips embed-similar\">");
            if (c.Similar.Length == 0) sb.Append("<span class=\"muted\">no similar feature above the threshold</span>");
            foreach (EmbedSimilarRecord s in c.Similar)
                sb.Append(CultureInfo.InvariantCulture, $"<a class=\"similar\" href=\"../../{HtmlReport.NeuronHref(s.Layer, s.Neuron)}#feature-{s.Cluster}\">{(s.Layer == record.Layer ? "" : Html.E(s.Layer) + " ")}neuron {s.Neuron} · feature {s.Cluster} · {Html.Num(s.Similarity, "0.00")}</a>");
            sb.Append("</p></div>");
        }
        sb.Append("</section><script>").Append(Script).Append("</script>");
        sb.Append(ReportContext.ProvenanceBlock(record.Provenance));
        return sb.ToString();
    }

    /// <inheritdoc/>
    protected override string? Problem(EmbedRecord result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (Svg.LinkageProblem(result.Linkage) is { } linkage) return linkage;
        foreach (EmbedClusterRecord c in result.Clusters)
        {
            if (c.Members.Any(m => (uint)m >= (uint)result.Examples.Length))
                return $"feature {c.Id} names a member outside the {result.Examples.Length} examples";
            foreach (EmbedWindowRecord w in c.Windows)
                if (w.Activations.Length != w.Tokens.Length)
                    return $"a window of feature {c.Id} has {w.Tokens.Length} tokens and {w.Activations.Length} activations";
            if (c.Importance is { } importance && c.Windows.Length > 0 && importance.Length != c.Windows[0].Tokens.Length)
                return $"feature {c.Id} has {importance.Length} token importances for {c.Windows[0].Tokens.Length} tokens";
        }
        return null;
    }

    /// <inheritdoc/>
    public override string? Unavailable(AtlasReader atlas, AtlasLayer layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        ArgumentNullException.ThrowIfNull(layer);
        if (atlas.Dataset?.Kind is not ("brown" or "text")) return "neuron embeddings read token windows: this atlas was not collected over text";
        return layer.Name.EndsWith(".mlp.hook_post", StringComparison.Ordinal) ? null
            : $"neuron embeddings need a transformer MLP activation (blocks.N.mlp.hook_post); '{layer.Name}' is not one";
    }

    /// <inheritdoc/>
    public override void AnalyseNeuron(AtlasSession session, string layer, int neuron, CancellationToken cancellationToken) =>
        new EmbedStage().Run(new EmbedRequest(session, layer, [neuron]), null, cancellationToken);

    private static string TagSummary(EmbedRecord r, EmbedClusterRecord c)
    {
        var tags = c.Members.Select(m => r.Examples[m].Tag).Where(t => t is not null).GroupBy(t => t!).OrderByDescending(g => g.Count()).Take(3).ToList();
        return tags.Count == 0 ? "" : " · key-token tags " + string.Join(", ", tags.Select(g => $"{Html.E(g.Key)} {g.Count()}"));
    }

    /// <summary>A token window coloured by activation (value in the title), with the importance as data for the toggle.</summary>
    private static string Window(EmbedWindowRecord w, float[]? importance, bool central)
    {
        float max = w.Activations.Where(float.IsFinite).DefaultIfEmpty(1f).Max();
        float scale = max > 0 ? max : 1;
        float impMax = importance is null ? 1 : importance.Select(Math.Abs).DefaultIfEmpty(0f).Max();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<div class=\"tokens embed-window{(central ? " central" : "")}\" data-input=\"{w.Input}\"><span class=\"val\">#{w.Input}</span>");
        for (int t = 0; t < w.Tokens.Length; t++)
        {
            double a = float.IsFinite(w.Activations[t]) ? Math.Clamp(w.Activations[t] / scale, 0, 1) : 0;
            string tok = w.Tokens[t].Replace("\n", "⏎", StringComparison.Ordinal);
            string imp = importance is null ? "" : string.Create(CultureInfo.InvariantCulture,
                $" data-act=\"{a:0.00}\" data-imp=\"{(impMax > 0 ? Math.Clamp(importance[t] / impMax, -1, 1) : 0):0.00}\" data-impv=\"{Html.Num(importance[t], "0.###")}\"");
            sb.Append(CultureInfo.InvariantCulture,
                $"<span class=\"tok{(t == w.Key ? " max" : "")}\" style=\"background:rgba(217,72,15,{a:0.00})\" title=\"{Html.Num(w.Activations[t], "0.###")}\"{imp}>{Html.E(tok)}</span>");
        }
        sb.Append("</div>");
        return sb.ToString();
    }

    private const string Css = """
        .embed-tabs{display:flex;flex-wrap:wrap;gap:.3em;margin:.6em 0;border-bottom:1px solid var(--line)}
        .embed-tab{border:1px solid var(--line);border-bottom:3px solid;background:var(--soft);padding:.3em .8em;border-radius:6px 6px 0 0;cursor:pointer;font:inherit}
        .embed-tab.active{background:var(--bg);font-weight:600}
        .embed-window.central{border-left:3px solid var(--warm);padding-left:.4em}
        .embed-similar a{margin-right:.4em}
        """;

    private const string Script = """
        (function(){
          var tabs=document.querySelectorAll('.embed-tab');
          function show(id){
            var found=false;
            document.querySelectorAll('.embed-panel').forEach(function(p){ if(p.id===id) found=true; });
            if(!found) return;
            document.querySelectorAll('.embed-panel').forEach(function(p){ p.hidden = p.id!==id; });
            tabs.forEach(function(t){ t.classList.toggle('active', t.dataset.panel===id); t.setAttribute('aria-selected', t.dataset.panel===id); });
          }
          tabs.forEach(function(t){ t.addEventListener('click', function(){ show(t.dataset.panel); }); });
          function fromHash(){ if(location.hash.indexOf('#feature-')===0) show(location.hash.substring(1)); }
          window.addEventListener('hashchange', fromHash); fromHash();
          var box=document.getElementById('embed-importance');
          if(box) box.addEventListener('change', function(){
            document.querySelectorAll('.embed-window.central .tok[data-imp]').forEach(function(s){
              if(box.checked){
                var v=parseFloat(s.dataset.imp);
                s.style.background = v>=0 ? 'rgba(47,111,223,'+v+')' : 'rgba(120,120,120,'+(-v)+')';
                s.title='importance '+s.dataset.impv;
              } else {
                s.style.background='rgba(217,72,15,'+s.dataset.act+')';
                s.title=s.dataset.title0||s.title;
              }
            });
            document.getElementById('embed').classList.toggle('importance', box.checked);
          });
          document.querySelectorAll('.embed-window.central .tok[data-imp]').forEach(function(s){ s.dataset.title0=s.title; });
        })();
        """;
}
