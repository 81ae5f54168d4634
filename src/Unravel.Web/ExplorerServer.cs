// `unravel serve`: the atlas explorer as an ASP.NET Core minimal API on 127.0.0.1 (Unravel issue 8). It renders the
// same pages as the static report (HtmlReport in Served mode: every neuron has a page) and adds on-demand analysis:
// POST /api/analyse/<layer folder>/<neuron> runs the analysis callback the CLI supplies (concept vectors) and
// redirects to the neuron's page. It serves nothing but these pages: no static files, no directory listing, no path
// into the atlas; every route parameter is validated (unknown layer → 404, malformed or out-of-range neuron → 400 /
// 404) and an internal failure answers 500 with one line, never a stack trace.

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
using Unravel.Interpret.Collection;
using Unravel.Interpret.Report;

namespace Unravel.Web;

/// <summary>Runs one analysis of a neuron (e.g. concept vectors) and writes its result into the atlas.</summary>
/// <param name="layer">Layer name.</param>
/// <param name="neuron">Neuron index (validated).</param>
/// <param name="cancellationToken">Cancelled when the request is aborted.</param>
public delegate Task NeuronAnalysis(string layer, int neuron, CancellationToken cancellationToken);

/// <summary>Options of the explorer.</summary>
public sealed record ExplorerOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; } = 5077;

    /// <summary>On-demand analysis of a neuron without results, or null when it is not available.</summary>
    public NeuronAnalysis? Analyse { get; init; }

    /// <summary>Why on-demand analysis is unavailable (shown on 501), when <see cref="Analyse"/> is null.</summary>
    public string UnavailableReason { get; init; } = "on-demand analysis is not available in this build";
}

/// <summary>Builds and runs the explorer web application.</summary>
public static class ExplorerServer
{
    /// <summary>Builds the app (not started) for <paramref name="atlas"/>, bound to 127.0.0.1 only.</summary>
    public static WebApplication Build(AtlasReader atlas, ReportSources sources, ExplorerOptions options)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(options), $"serve: port {options.Port} is outside 0 … 65535.");
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();

        var report = new HtmlReport(atlas, sources, ReportMode.Served);
        var gate = new SemaphoreSlim(1, 1);  // rendering re-runs the model through hooks and caches tables: one request at a time
        Dictionary<string, AtlasLayer> byFolder = atlas.Layers.ToDictionary(l => AtlasWriter.LayerFolder(l.Name), StringComparer.Ordinal);

        app.UseExceptionHandler(error => error.Run(async context =>
        {
            Exception? e = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            context.Response.StatusCode = e is InvalidDataException ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status500InternalServerError;
            context.Response.ContentType = "text/plain; charset=utf-8";
            string line = e is InvalidDataException ? e.Message : $"internal error ({e?.GetType().Name}); see the server console";
            await context.Response.WriteAsync(line + "\n");
        }));

        async Task<IResult> Render(Func<string> page)
        {
            await gate.WaitAsync();
            try
            {
                return Results.Content(page(), "text/html; charset=utf-8", Encoding.UTF8);
            }
            finally
            {
                gate.Release();
            }
        }

        app.MapGet("/", () => Results.Redirect("/index.html"));
        app.MapGet("/index.html", () => Render(report.IndexPage));
        app.MapGet("/layers/{file}", (string file) =>
            ResolveLayer(byFolder, file, ".html", out AtlasLayer? layer, out IResult? problem) ? Render(() => report.LayerPage(layer!)) : Task.FromResult(problem!));
        app.MapGet("/neurons/{folder}/{file}", (string folder, string file) =>
            ResolveNeuron(byFolder, folder, file, ".html", out AtlasLayer? layer, out int neuron, out IResult? problem)
                ? Render(() => report.NeuronPage(layer!, neuron)) : Task.FromResult(problem!));
        app.MapPost("/api/analyse/{folder}/{file}", async (string folder, string file, HttpContext context) =>
        {
            if (!ResolveNeuron(byFolder, folder, file, "", out AtlasLayer? layer, out int neuron, out IResult? problem)) return problem!;
            if (options.Analyse is null) return Text(StatusCodes.Status501NotImplemented, options.UnavailableReason);
            await gate.WaitAsync(context.RequestAborted);
            try
            {
                await options.Analyse(layer!.Name, neuron, context.RequestAborted);
                report.Invalidate(layer.Name);
            }
            catch (ArgumentException e)
            {
                return Text(StatusCodes.Status400BadRequest, e.Message);
            }
            finally
            {
                gate.Release();
            }
            return Results.Redirect("/" + HtmlReport.NeuronHref(layer.Name, neuron), permanent: false, preserveMethod: false);
        });
        app.MapFallback("{*path}", (HttpContext c) => Text(StatusCodes.Status404NotFound, $"not found: {c.Request.Path} (this server shows one atlas: start at /index.html)"));
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

    private static string Trim(string file, string suffix)
    {
        string s = suffix.Length > 0 && file.EndsWith(suffix, StringComparison.Ordinal) ? file[..^suffix.Length] : file;
        return s.Length > 80 ? s[..80] + "…" : s;
    }

    private static IResult Text(int status, string message) => Results.Text(message + "\n", "text/plain; charset=utf-8", Encoding.UTF8, status);
}
