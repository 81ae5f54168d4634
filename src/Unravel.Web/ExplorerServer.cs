// `unravel serve`: the atlas explorer as an ASP.NET Core minimal API, on 127.0.0.1 unless remote access is asked for.
// It renders the same pages as the static report (HtmlReport in Served mode: every neuron has a page) and adds
// on-demand analysis for every registered method: POST /api/analyse/<method>/<layer folder>/<neuron> runs that method's
// stage on the neuron (through IAtlasMethod.AnalyseNeuron, the same code as its command) and redirects to the neuron's
// page. It serves nothing but these pages: no static files, no directory listing, no path into the atlas; every route
// parameter is validated (unknown method or layer → 404, malformed or out-of-range neuron → 400 / 404). In front of
// the routes, RequestGuard checks the Host header, the page token of state-changing requests, the request size and
// the number of requests at once; AnalysisGate runs rendering and analyses one at a time and one analysis per neuron;
// PathRedactor keeps local absolute paths out of every answer. A user error (UnravelException) answers 400, 404 (a
// layer or hook that does not exist) or 422 (a malformed file) with its message and hint; an internal failure
// answers 500 with one line, never a stack trace.

using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Unravel.Atlas;
using Unravel.Atlas.Methods;
using Unravel.IO;
using Unravel.Nn;
using Unravel.Atlas.Report;

namespace Unravel.Web;

/// <summary>Builds and runs the explorer web application.</summary>
public static class ExplorerServer
{
    /// <summary>Longest request line (method, target, version) in bytes; longer gets 414.</summary>
    public const int MaxRequestLineBytes = 8192;

    /// <summary>Most request headers; more gets 431.</summary>
    public const int MaxRequestHeaders = 64;

    // Sends an analysis form's POST with the page token (a plain form cannot set a header), then follows the redirect.
    private const string SubmitScript =
        "document.addEventListener('submit',function(e){var f=e.target;if(f.method!=='post')return;e.preventDefault();" +
        "var b=f.querySelector('button');if(b){b.disabled=true;b.textContent='Running…';}" +
        "fetch(f.action,{method:'POST',credentials:'same-origin',headers:{'" + RequestGuard.TokenHeader + "':document.querySelector('meta[name=unravel-token]').content}})" +
        ".then(function(r){if(r.ok){location.href=r.url;return;}return r.text().then(function(t){if(b){b.disabled=false;b.textContent=t;}});})" +
        ".catch(function(x){if(b){b.disabled=false;b.textContent=String(x);}});});";

    /// <summary>Builds the app (not started) for the session's atlas, bound to <see cref="ExplorerOptions.Host"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid (<see cref="ExplorerOptions.Problem"/>).</exception>
    public static WebApplication Build(AtlasSession session, ReportSources sources, ExplorerOptions options)
    {
        ArgumentNullException.ThrowIfNull(session);
        AtlasReader atlas = session.Atlas;
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem) throw new ArgumentException($"serve: {problem}", nameof(options));
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(options.Host, options.Port, l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = options.MaxConnections;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = options.MaxRequestHeaderBytes;
            k.Limits.MaxRequestLineSize = Math.Min(MaxRequestLineBytes, options.MaxRequestHeaderBytes);
            k.Limits.MaxRequestHeaderCount = MaxRequestHeaders;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);   // a client that trickles its headers (slowloris) is cut off
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();

        var report = new HtmlReport(atlas, sources, ReportMode.Served);
        var gate = new AnalysisGate();
        var redactor = new PathRedactor(atlas);
        string token = RequestGuard.NewToken();
        var guard = new RequestGuard(new HostAllowList(options.Host), token, options);
        app.Lifetime.ApplicationStopped.Register(guard.Dispose);
        Dictionary<string, AtlasLayer> byFolder = atlas.Layers.ToDictionary(l => AtlasWriter.LayerFolder(l.Name), StringComparer.Ordinal);

        app.UseExceptionHandler(error => error.Run(async context =>
        {
            Exception? e = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            context.Response.StatusCode = StatusOf(e);
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(redactor.Redact(e is UnravelException u ? Line(u) : $"internal error ({e?.GetType().Name}); see the server console") + "\n");
        }));
        app.Use(guard.InvokeAsync);

        // The token goes into every page; the page's script sends it with the analysis buttons' POSTs.
        string head = $"<meta name=\"unravel-token\" content=\"{token}\"><script>{SubmitScript}</script></head>";
        async Task<IResult> Render(Func<string> page, CancellationToken cancellationToken)
        {
            string html = await gate.ReadAsync(page, cancellationToken);
            html = redactor.Redact(html);
            int end = html.IndexOf("</head>", StringComparison.Ordinal);
            return Results.Content(end < 0 ? html : string.Concat(html.AsSpan(0, end), head, html.AsSpan(end + "</head>".Length)), "text/html; charset=utf-8", Encoding.UTF8);
        }

        app.MapGet("/", () => Results.Redirect("/index.html"));
        app.MapGet("/index.html", (CancellationToken ct) => Render(report.IndexPage, ct));
        app.MapGet("/layers/{file}", (string file, CancellationToken ct) =>
            ResolveLayer(byFolder, file, ".html", out AtlasLayer? layer, out IResult? problem) ? Render(() => report.LayerPage(layer!), ct) : Task.FromResult(problem!));
        app.MapGet("/neurons/{folder}/{file}", (string folder, string file, CancellationToken ct) =>
            ResolveNeuron(byFolder, folder, file, ".html", out AtlasLayer? layer, out int neuron, out IResult? problem)
                ? Render(() => report.NeuronPage(layer!, neuron), ct) : Task.FromResult(problem!));
        app.MapPost("/api/analyse/{method}/{folder}/{file}", async (string method, string folder, string file, HttpContext context) =>
        {
            if (options.Methods.Count == 0) return Text(StatusCodes.Status501NotImplemented, options.UnavailableReason);
            IAtlasMethod? m = options.Methods.FirstOrDefault(x => x.Name == method);
            if (m is null)
                return Text(StatusCodes.Status404NotFound, $"no method '{Trim(method, "")}'; methods: {string.Join(", ", options.Methods.Select(x => x.Name))}");
            if (!ResolveNeuron(byFolder, folder, file, "", out AtlasLayer? layer, out int neuron, out IResult? problem)) return problem!;
            if (m.Unavailable(atlas, layer!, neuron) is { } why)
                return Text(StatusCodes.Status400BadRequest, $"{m.Name} cannot run on neuron {neuron} of '{layer!.Name}': {why}");
            try
            {
                await gate.AnalyseAsync((m.Name, layer!.Name, neuron), () => m.Analysed(atlas, layer.Name).Contains(neuron), stopping =>
                {
                    m.AnalyseNeuron(session, layer.Name, neuron, stopping);
                    report.Invalidate(layer.Name);
                }, app.Lifetime.ApplicationStopping).WaitAsync(context.RequestAborted);
            }
            catch (UnravelException e)
            {
                return Text(StatusOf(e), redactor.Redact(Line(e)));
            }
            return Results.Redirect("/" + HtmlReport.NeuronHref(layer.Name, neuron), permanent: false, preserveMethod: false);
        });
        app.MapFallback("{*path}", (HttpContext c) => Text(StatusCodes.Status404NotFound, "not found (this server shows one atlas: start at /index.html)"));
        return app;
    }

    /// <summary>The URL the app listens on once started (with the port Kestrel picked when the option was 0).</summary>
    public static string Url(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        string? address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return (address ?? "http://127.0.0.1").TrimEnd('/') + "/";
    }

    private static bool ResolveLayer(Dictionary<string, AtlasLayer> byFolder, string file, string suffix, out AtlasLayer? layer, out IResult? problem)
    {
        layer = null;
        problem = null;
        if (!file.EndsWith(suffix, StringComparison.Ordinal) || !byFolder.TryGetValue(file[..^suffix.Length], out layer))
        {
            problem = Text(StatusCodes.Status404NotFound, $"no layer '{Trim(file, suffix)}' in this atlas; layers: {string.Join(", ", byFolder.Keys)}");
            return false;
        }
        return true;
    }

    private static bool ResolveNeuron(Dictionary<string, AtlasLayer> byFolder, string folder, string file, string suffix,
        out AtlasLayer? layer, out int neuron, out IResult? problem)
    {
        neuron = -1;
        if (!ResolveLayer(byFolder, folder + suffix, suffix, out layer, out problem)) return false;
        string id = Trim(file, suffix);
        if (!file.EndsWith(suffix, StringComparison.Ordinal) || id.Length is 0 or > 9
            || !int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out neuron))
        {
            problem = Text(StatusCodes.Status400BadRequest, $"neuron id '{id}' is not a non-negative integer");
            return false;
        }
        if (neuron >= layer!.Neurons)
        {
            problem = Text(StatusCodes.Status404NotFound, $"layer '{layer.Name}' has {layer.Neurons} neurons (0 … {layer.Neurons - 1}); no neuron {neuron}");
            return false;
        }
        return true;
    }

    /// <summary>The HTTP status of an exception: 404 for a name that does not exist, 422 for a malformed file, 400 for
    /// any other user error, 500 for our bugs.</summary>
    internal static int StatusOf(Exception? e) => e switch
    {
        BadHttpRequestException b => b.StatusCode,
        LayerNotCollectedException or HookNotFoundException => StatusCodes.Status404NotFound,
        AtlasFormatException or CheckpointFormatException or WeightMismatchException => StatusCodes.Status422UnprocessableEntity,
        AtlasInUseException => StatusCodes.Status409Conflict,
        UnravelException => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static string Line(UnravelException e) => e.Hint is null ? e.Message : $"{e.Message} (hint: {e.Hint})";

    private static string Trim(string file, string suffix)
    {
        string s = suffix.Length > 0 && file.EndsWith(suffix, StringComparison.Ordinal) ? file[..^suffix.Length] : file;
        return s.Length > 80 ? s[..80] + "…" : s;
    }

    private static IResult Text(int status, string message) => Results.Text(message + "\n", "text/plain; charset=utf-8", Encoding.UTF8, status);
}
