// `unravel report ATLAS [--out DIR]`: writes the atlas's self-contained HTML report (Unravel issue 8): index.html with
// the overview, a sortable neuron table per layer and a page per analysed neuron, all under ATLAS/report/ by default.
// The folder is written next to its target and renamed into place, so a reader never sees half a report.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Unravel.Interpret.Collection;
using Unravel.Interpret.Report;
using Unravel.IO.Text;
using Unravel.Models.Training;

namespace Unravel.Cli;

internal static class ReportCommand
{
    private static readonly Argument<string> AtlasArgument = new("atlas") { Description = "Atlas directory (from `unravel collect`)." };
    private static readonly Option<string?> OutOption = new("--out", "-o") { Description = "Report folder to write (default: ATLAS/report)." };
    private static readonly Option<bool> NoModelOption = new("--no-model")
    {
        Description = "Do not re-run the model on references (peak boxes from the recorded top-k positions only, no per-token colours; faster).",
    };

    public static Command Create()
    {
        Command command = new("report", "Write a self-contained HTML report of an atlas (no server needed).") { AtlasArgument, OutOption, NoModelOption };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(AtlasArgument)!, parse.GetValue(OutOption), !parse.GetValue(NoModelOption),
            Console.Out, Console.Error, ct)));
        return command;
    }

    internal static int Run(string atlasPath, string? outDir, bool useModel, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        AtlasReader atlas = AtlasSources.Open(atlasPath);
        var watch = Stopwatch.StartNew();
        (string index, int pages) = Write(atlas, Sources(atlas, useModel, error), outDir, cancellationToken);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"report: {pages} pages in {watch.Elapsed.TotalSeconds:0.0} s → {index}"));
        return ExitCodes.Success;
    }

    /// <summary>Writes every page of the report into <paramref name="outDir"/> (default ATLAS/report) atomically; returns index.html's path.</summary>
    internal static (string Index, int Pages) Write(AtlasReader atlas, ReportSources sources, string? outDir, CancellationToken cancellationToken = default)
    {
        string target = Path.GetFullPath(outDir ?? atlas.PathOf("report"));
        string parent = Path.GetDirectoryName(target.TrimEnd(Path.DirectorySeparatorChar))!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        var report = new HtmlReport(atlas, sources, ReportMode.Static);
        int pages = 0;
        try
        {
            foreach ((string rel, Func<string> render) in report.Pages())
            {
                cancellationToken.ThrowIfCancellationRequested();
                string file = Path.Combine(temp, rel);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                string html;
                try
                {
                    html = render();
                }
                catch (InvalidDataException e)
                {
                    throw new UnravelUserException(e.Message, "re-run the method on this neuron, or delete the file");
                }
                File.WriteAllText(file, html);
                pages++;
            }
            if (Directory.Exists(target))
            {
                string old = Path.Combine(parent, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
                Directory.Move(target, old);
                Directory.Move(temp, target);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, target);
            }
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        return (Path.Combine(target, "index.html"), pages);
    }

    /// <summary>Re-opens the atlas's dataset (and model, tokenizer, class names) for drawing references; a missing or
    /// changed dataset or model is a warning, and the report falls back to indices.</summary>
    internal static ReportSources Sources(AtlasReader atlas, bool useModel, TextWriter error)
    {
        LoadedModel? model = null;
        ICollectionDataset? dataset = null;
        try
        {
            model = AtlasSources.Model(atlas);
            dataset = AtlasSources.Dataset(atlas, model);
        }
        catch (Exception e) when (CliRunner.UserMessage(e) is not null || e is ArgumentException or IOException)
        {
            error.WriteLine($"warning: references are shown as dataset indices only: {CliRunner.UserMessage(e)?.Text ?? e.Message}");
        }
        Func<int, string>? decode = null;
        if (dataset is TokenWindowDataset)
        {
            Gpt2Tokenizer tokenizer = AtlasSources.Tokenizer();
            decode = tokenizer.TokenText;
        }
        IReadOnlyList<string>? classes = atlas.Dataset?.Path is { } p && Path.GetFileName(Path.GetDirectoryName(p) ?? "").Contains("fashion", StringComparison.OrdinalIgnoreCase)
            ? FashionMnist.ClassNames : null;
        return new ReportSources(dataset, dataset is not null ? model?.Model : null, decode, classes, useModel);
    }
}
