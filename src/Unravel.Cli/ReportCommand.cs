// `unravel report ATLAS [--out DIR]`: writes the atlas's self-contained HTML report through the ReportStage:
// index.html with the overview, a sortable neuron table per layer and a page per analysed neuron, all under
// ATLAS/report/ by default, written next to its target and renamed into place.

using System.CommandLine;
using System.Globalization;
using Unravel.Atlas.Stages;
using Unravel.Atlas;

namespace Unravel.Cli;

internal static class ReportCommand
{
    private static readonly AtlasOptions Atlas = new(layerDescription: null);
    private static readonly Option<string?> OutOption = new("--out", "-o") { Description = "Report folder to write (default: ATLAS/report)." };
    private static readonly Option<bool> NoModelOption = new("--no-model")
    {
        Description = "Do not re-run the model on references (peak boxes from the recorded top-k positions only, no per-token colours; faster).",
    };

    public static Command Create()
    {
        Command command = new("report", "Write a self-contained HTML report of an atlas (no server needed).") { Atlas.Atlas, OutOption, NoModelOption };
        command.SetAction((parse, ct) => Task.FromResult(Run(Atlas.AtlasOf(parse), parse.GetValue(OutOption), !parse.GetValue(NoModelOption),
            Console.Out, Console.Error, ct)));
        return command;
    }

    internal static int Run(string atlasPath, string? outDir, bool useModel, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ReportStageResult result = new ReportStage().Run(new ReportRequest(AtlasSession.Open(atlasPath), outDir, useModel), null, cancellationToken);
        if (result.Warning is not null) error.WriteLine($"warning: {result.Warning}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"report: {result.Pages} pages in {result.Elapsed.TotalSeconds:0.0} s → {result.Index}"));
        return ExitCodes.Success;
    }
}
