// `unravel serve ATLAS [--port P]`: the atlas explorer on http://127.0.0.1:P/ — the report's pages rendered per
// request, every neuron browsable, and on-demand analysis of a neuron by every registered method. Ctrl+C stops it.

using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Unravel.Atlas.Report;
using Unravel.Web;
using Unravel.Atlas;

namespace Unravel.Cli;

internal static class ServeCommand
{
    private static readonly AtlasOptions Atlas = new(layerDescription: null);
    private static readonly Option<int> PortOption = new("--port", "-p") { Description = "Port on 127.0.0.1 (0 = any free port).", DefaultValueFactory = _ => 5077 };
    private static readonly Option<bool> NoModelOption = new("--no-model") { Description = "Do not re-run the model on references." };

    public static Command Create()
    {
        Command command = new("serve", "Explore an atlas in the browser: the report's pages plus on-demand analysis (127.0.0.1 only).")
        {
            Atlas.Atlas, PortOption, NoModelOption,
        };
        command.SetAction((parse, ct) => RunAsync(Atlas.AtlasOf(parse), parse.GetValue(PortOption), !parse.GetValue(NoModelOption),
            Console.Out, Console.Error, ct));
        return command;
    }

    internal static async Task<int> RunAsync(string atlasPath, int port, bool useModel, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (port is < 0 or > 65535) throw new UnravelUserException($"--port must be in 0 … 65535 (got {port}).");
        AtlasSession session = AtlasSession.Open(atlasPath);
        ReportSources sources = ReportSources.Of(session, useModel, out string? warning);
        if (warning is not null) error.WriteLine($"warning: {warning}");
        AtlasReader atlas = session.Atlas;
        await using WebApplication app = ExplorerServer.Build(session, sources, new ExplorerOptions { Port = port });
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new UnravelUserException($"cannot listen on 127.0.0.1:{port}: {e.Message}", "pick another --port (0 = any free port)");
        }
        output.WriteLine($"explorer of {atlas.Root} at {ExplorerServer.Url(app)}index.html  (Ctrl+C stops it)");
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
