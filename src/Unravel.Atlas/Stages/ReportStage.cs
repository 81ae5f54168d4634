// The report stage: renders every page of an atlas's self-contained HTML report (index, one table per layer, one page
// per analysed neuron, each registered method's section on it) into ATLAS/report or a given folder, atomically.

using System.Diagnostics;
using Unravel.Atlas.Report;

namespace Unravel.Atlas.Stages;

/// <summary>Writes the static report.</summary>
public sealed class ReportStage : IStage<ReportRequest, ReportStageResult>
{
    /// <inheritdoc/>
    public ReportStageResult Run(ReportRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        AtlasSession session = request.Session;
        using IDisposable writing = session.Lock("report", cancellationToken);
        ReportSources sources = ReportSources.Of(session, request.RunModel, out string? warning);
        var report = new HtmlReport(session.Atlas, sources, ReportMode.Static);
        var pages = report.Pages().ToList();
        string target = AtomicDirectory.Write(request.Out ?? session.Atlas.PathOf("report"), temp =>
        {
            for (int i = 0; i < pages.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string file = Path.Combine(temp, pages[i].Path);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllText(file, pages[i].Render());
                progress?.Report(StageProgress.After("report", i + 1, pages.Count, clock.Elapsed));
            }
        });
        return new ReportStageResult(Path.Combine(target, "index.html"), pages.Count, warning, clock.Elapsed);
    }
}
