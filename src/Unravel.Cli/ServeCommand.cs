// `unravel serve ATLAS [--port P] [--host ADDR --allow-remote] [limits]`: the atlas explorer on http://127.0.0.1:P/ —
// the report's pages rendered per request, every neuron browsable, and on-demand analysis of a neuron by every
// registered method. Loopback only unless --host names another address and --allow-remote says so; the request limits
// bound what one client can make it do. Ctrl+C stops it.

using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Unravel.Atlas.Report;
using Unravel.Web;
using Unravel.Atlas;

namespace Unravel.Cli;

internal static class ServeCommand
{
    private static readonly ExplorerOptions Defaults = new();
    private static readonly AtlasOptions Atlas = new(layerDescription: null);
    private static readonly Option<int> PortOption = new("--port", "-p") { Description = "Port (0 = any free port).", DefaultValueFactory = _ => ExplorerOptions.DefaultPort };
    private static readonly Option<string> HostOption = new("--host") { Description = "Address to listen on; anything but loopback needs --allow-remote.", DefaultValueFactory = _ => "127.0.0.1" };
    private static readonly Option<bool> AllowRemoteOption = new("--allow-remote") { Description = "Allow a non-loopback --host: other machines can read the atlas and run analyses." };
    private static readonly Option<int> MaxConnectionsOption = new("--max-connections") { Description = "Open connections at once.", DefaultValueFactory = _ => Defaults.MaxConnections };
    private static readonly Option<int> MaxConcurrentOption = new("--max-concurrent") { Description = "Requests processed at once.", DefaultValueFactory = _ => Defaults.MaxConcurrentRequests };
    private static readonly Option<int> MaxQueueOption = new("--max-queue") { Description = "Requests waiting beyond --max-concurrent; more get 429.", DefaultValueFactory = _ => Defaults.MaxQueuedRequests };
    private static readonly Option<long> MaxBodyOption = new("--max-body-bytes") { Description = "Largest request body; larger gets 413.", DefaultValueFactory = _ => Defaults.MaxRequestBodyBytes };
    private static readonly Option<int> MaxHeaderOption = new("--max-header-bytes") { Description = "Largest request headers; larger gets 431.", DefaultValueFactory = _ => Defaults.MaxRequestHeaderBytes };
    private static readonly Option<bool> NoModelOption = new("--no-model") { Description = "Do not re-run the model on references." };

    public static Command Create()
    {
        Command command = new("serve", "Explore an atlas in the browser: the report's pages plus on-demand analysis (127.0.0.1 only unless --allow-remote).")
        {
            Atlas.Atlas, PortOption, HostOption, AllowRemoteOption, MaxConnectionsOption, MaxConcurrentOption, MaxQueueOption, MaxBodyOption, MaxHeaderOption, NoModelOption,
        };
        command.SetAction((parse, ct) => RunAsync(Atlas.AtlasOf(parse), Options(parse), !parse.GetValue(NoModelOption), Console.Out, Console.Error, ct));
        return command;
    }

    private static ExplorerOptions Options(ParseResult parse) => new()
    {
        Host = ParseHost(parse.GetValue(HostOption)!),
        AllowRemote = parse.GetValue(AllowRemoteOption),
        Port = parse.GetValue(PortOption),
        MaxConnections = parse.GetValue(MaxConnectionsOption),
        MaxConcurrentRequests = parse.GetValue(MaxConcurrentOption),
        MaxQueuedRequests = parse.GetValue(MaxQueueOption),
        MaxRequestBodyBytes = parse.GetValue(MaxBodyOption),
        MaxRequestHeaderBytes = parse.GetValue(MaxHeaderOption),
    };

    private static IPAddress ParseHost(string host) =>
        host == "localhost" ? IPAddress.Loopback
        : IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address) ? address
        : throw new UnravelUserException($"--host '{host}' is not an IP address.", "use 127.0.0.1 (default), ::1, or with --allow-remote an address of this machine or 0.0.0.0");

    internal static async Task<int> RunAsync(string atlasPath, ExplorerOptions options, bool useModel, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (options.Problem() is { } problem) throw new UnravelUserException(problem);
        AtlasSession session = AtlasSession.Open(atlasPath);
        ReportSources sources = ReportSources.Of(session, useModel, out string? warning);
        if (warning is not null) error.WriteLine($"warning: {warning}");
        AtlasReader atlas = session.Atlas;
        await using WebApplication app = ExplorerServer.Build(session, sources, options);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new UnravelUserException($"cannot listen on {options.Host}:{options.Port}: {e.Message}", "pick another --port (0 = any free port)");
        }
        output.WriteLine($"explorer of {atlas.Root} at {ExplorerServer.Url(app)}index.html  (Ctrl+C stops it)");
        output.WriteLine(IPAddress.IsLoopback(options.Host)
            ? "listening on loopback only; requests must name localhost, 127.0.0.1 or [::1] as Host"
            : $"WARNING: listening on {options.Host} (--allow-remote): any machine that reaches this port can read every page of this atlas and run analyses; requests must name this machine as Host");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"limits: {options.MaxConnections} connections, {options.MaxConcurrentRequests} requests at once + {options.MaxQueuedRequests} queued (then 429), body {options.MaxRequestBodyBytes} B (413), headers {options.MaxRequestHeaderBytes} B (431)"));
        // Ctrl+C / SIGTERM reach either System.CommandLine (cancellationToken) or the host's console lifetime (stopping).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await app.StopAsync(CancellationToken.None);
        output.WriteLine("explorer stopped");
        return ExitCodes.Success;
    }
}
