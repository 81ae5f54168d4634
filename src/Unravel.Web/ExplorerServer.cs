// `unravel serve`: the atlas explorer as an ASP.NET Core minimal API on 127.0.0.1. It renders the same pages as the
// static report (HtmlReport in Served mode: every neuron has a page) and adds on-demand analysis for every registered
// method: POST /api/analyse/<method>/<layer folder>/<neuron> runs that method's stage on the neuron (through
// IAtlasMethod.AnalyseNeuron, the same code as its command) and redirects to the neuron's page. It serves nothing but
// these pages: no static files, no directory listing, no path into the atlas; every route parameter is validated
// (unknown method or layer → 404, malformed or out-of-range neuron → 400 / 404). A user error (UnravelException)
// answers 400, 404 (a layer or hook that does not exist) or 422 (a malformed file) with its message and hint; an
// internal failure answers 500 with one line, never a stack trace.

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

/// <summary>Options of the explorer.</summary>
public sealed record ExplorerOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; } = 5077;

    /// <summary>Methods offered for on-demand analysis (default: every registered one); empty turns it off.</summary>
    public IReadOnlyList<IAtlasMethod> Methods { get; init; } = MethodRegistry.All;

    /// <summary>Why on-demand analysis is unavailable (shown on 501) when <see cref="Methods"/> is empty.</summary>
    public string UnavailableReason { get; init; } = "on-demand analysis is not available in this explorer";
}

/// <summary>Builds and runs the explorer web application.</summary>
public static class ExplorerServer
{
    /// <summary>Builds the app (not started) for <paramref name="atlas"/>, bound to 127.0.0.1 only.</summary>
    public static WebApplication Build(AtlasSession session, ReportSources sources, ExplorerOptions options)
    {
        ArgumentNullException.ThrowIfNull(session);
        AtlasReader atlas = session.Atlas;
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
            context.Response.StatusCode = StatusOf(e);
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync((e is UnravelException u ? Line(u) : $"internal error ({e?.GetType().Name}); see the server console") + "\n");
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
        app.MapPost("/api/analyse/{method}/{folder}/{file}", async (string method, string folder, string file, HttpContext context) =>
        {
            if (options.Methods.Count == 0) return Text(StatusCodes.Status501NotImplemented, options.UnavailableReason);
            IAtlasMethod? m = options.Methods.FirstOrDefault(x => x.Name == method);
            if (m is null)
                return Text(StatusCodes.Status404NotFound, $"no method '{Trim(method, "")}'; methods: {string.Join(", ", options.Methods.Select(x => x.Name))}");
            if (!ResolveNeuron(byFolder, folder, file, "", out AtlasLayer? layer, out int neuron, out IResult? problem)) return problem!;
            if (m.Unavailable(atlas, layer!, neuron) is { } why)
                return Text(StatusCodes.Status400BadRequest, $"{m.Name} cannot run on neuron {neuron} of '{layer!.Name}': {why}");
            await gate.WaitAsync(context.RequestAborted);
            try
            {
                await Task.Run(() => m.AnalyseNeuron(session, layer!.Name, neuron, context.RequestAborted), context.RequestAborted);
                report.Invalidate(layer!.Name);
            }
            catch (UnravelException e)
            {
                return Text(StatusOf(e), Line(e));
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

    /// <summary>The HTTP status of an exception: 404 for a name that does not exist, 422 for a malformed file, 400 for
    /// any other user error, 500 for our bugs.</summary>
    internal static int StatusOf(Exception? e) => e switch
    {
        LayerNotCollectedException or HookNotFoundException => StatusCodes.Status404NotFound,
        AtlasFormatException or CheckpointFormatException or WeightMismatchException => StatusCodes.Status422UnprocessableEntity,
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
