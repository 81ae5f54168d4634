// Small HTML building blocks shared by the report pages: escaping, number formatting, the page shell with its one
// CSS block (system fonts, light theme, sticky table headers) and the vanilla-JS table sorter. Nothing here loads
// anything from outside the page: no CDN, no web fonts, no external requests.

using System.Globalization;
using System.Net;
using System.Text;

namespace Unravel.Atlas.Report;

internal static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string Num(double value, string format = "0.###") =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "∞" : double.IsNegativeInfinity(value) ? "-∞"
        : value.ToString(format, CultureInfo.InvariantCulture);

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A complete page: title, navigation trail (text, href or null) and body.</summary>
    public static string Page(string title, IReadOnlyList<(string Text, string? Href)> trail, string body)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
          .Append("<title>").Append(E(title)).Append(" · Unravel</title><style>").Append(Css).Append("</style></head><body>\n")
          .Append("<header><span class=\"brand\">Unravel</span><nav>");
        for (int i = 0; i < trail.Count; i++)
        {
            if (i > 0) sb.Append(" <span class=\"sep\">›</span> ");
            (string text, string? href) = trail[i];
            sb.Append(href is null ? $"<span>{E(text)}</span>" : $"<a href=\"{E(href)}\">{E(text)}</a>");
        }
        sb.Append("</nav></header>\n<main>\n").Append(body).Append("\n</main>\n<script>").Append(SortScript).Append("</script></body></html>\n");
        return sb.ToString();
    }

    private const string Css = """
        :root{--fg:#1d2330;--muted:#5f6b7a;--line:#dde2ea;--bg:#fff;--soft:#f5f7fa;--accent:#2f6fdf;--warm:#d9480f}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
        header{display:flex;gap:1.2em;align-items:baseline;padding:.7em 1.5em;border-bottom:1px solid var(--line);background:var(--soft);position:sticky;top:0;z-index:2}
        .brand{font-weight:700;letter-spacing:.02em}
        nav a{color:var(--accent);text-decoration:none} nav .sep{color:var(--muted)}
        main{padding:1em 1.5em 3em;max-width:1300px}
        h1{font-size:1.5em;margin:.3em 0 .2em} h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
        h3{font-size:1.05em;margin:1.2em 0 .4em}
        .muted{color:var(--muted)} .note{background:#fff8e6;border:1px solid #f1d48a;padding:.5em .8em;border-radius:6px}
        dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1.2em;margin:.5em 0} dl.kv dt{color:var(--muted)} dl.kv dd{margin:0;word-break:break-all}
        .cards{display:flex;flex-wrap:wrap;gap:1em} .card{border:1px solid var(--line);border-radius:8px;padding:.2em 1em .8em;background:var(--bg);min-width:15em;flex:0 1 auto;max-width:100%}
        .cards.meta{display:grid;grid-template-columns:repeat(auto-fit,minmax(24em,1fr))} .cards.meta .card{max-width:none}
        .card .big{font-size:1.6em;font-weight:600} .card p.muted{max-width:26em}
        .tablewrap{max-height:70vh;overflow:auto;border:1px solid var(--line);border-radius:6px}
        table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
        th,td{padding:.3em .7em;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
        th:first-child,td:first-child{text-align:left}
        thead th{position:sticky;top:0;background:var(--soft);cursor:pointer;user-select:none;z-index:1}
        thead th[data-dir="asc"]::after{content:" ▲"} thead th[data-dir="desc"]::after{content:" ▼"}
        tbody tr:hover{background:#f0f5ff}
        a{color:var(--accent)}
        .refs{display:flex;flex-wrap:wrap;gap:.5em;margin:.4em 0}
        figure.ref{margin:0;text-align:center;font-size:.8em;color:var(--muted)} figure.ref img{display:block;image-rendering:pixelated;border:1px solid var(--line);border-radius:3px}
        .tokens{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;line-height:1.9;margin:.15em 0;white-space:pre-wrap}
        .tokens .tok{border-radius:2px} .tokens .max{outline:1.5px solid var(--warm)} .tokens .val{color:var(--muted);margin-right:.8em}
        section.concept,section.vn{border:1px solid var(--line);border-radius:8px;padding:.4em 1em .8em;margin:.8em 0;scroll-margin-top:4em}
        section.concept:target,section.vn:target{border-color:var(--accent);box-shadow:0 0 0 3px #2f6fdf33}
        .chips a,.chips span{display:inline-block;margin:.1em .3em .1em 0;padding:.05em .6em;border:1px solid var(--line);border-radius:999px;text-decoration:none}
        svg text{font:11px system-ui,sans-serif;fill:var(--muted)}
        button{font:inherit;padding:.4em 1em;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
        """;

    // Sorts any table with class "sortable" by the clicked column: numbers numerically (empty cells last), text otherwise.
    private const string SortScript = """
        document.querySelectorAll('table.sortable').forEach(function(t){
          t.querySelectorAll('thead th').forEach(function(th,col){
            th.addEventListener('click',function(){
              var dir=th.dataset.dir==='desc'?'asc':'desc';
              t.querySelectorAll('thead th').forEach(function(o){delete o.dataset.dir;});
              th.dataset.dir=dir;
              var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
              var key=function(r){var c=r.cells[col];var v=c.dataset.v!==undefined?c.dataset.v:c.textContent;var n=parseFloat(v);return v===''?null:(isNaN(n)?v:n);};
              rows.sort(function(a,b){var x=key(a),y=key(b);if(x===null)return 1;if(y===null)return -1;
                var r=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y));return dir==='asc'?r:-r;});
              rows.forEach(function(r){body.appendChild(r);});
            });
          });
        });
        """;
}
