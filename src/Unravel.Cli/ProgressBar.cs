// The progress line every long command draws on stderr: done/total, rate and time remaining, redrawn at most 10
// times a second (collect, concepts, pure, the relevance pass).

using System.Globalization;
using Unravel.Interpret.Collection;

namespace Unravel.Cli;

/// <summary>A one-line progress bar on stderr with rate and time left, redrawn at most 10 times a second.</summary>
internal sealed class ProgressBar(TextWriter error) : IProgress<CollectionProgress>, IProgress<Unravel.Atlas.Stages.StageProgress>
{
    private DateTime _last = DateTime.MinValue;
    private bool _drawn;
    private string? _stage;

    public void Report(CollectionProgress p)
    {
        if (p.Done < p.Total && (DateTime.UtcNow - _last).TotalMilliseconds < 100) return;
        _last = DateTime.UtcNow;
        const int width = 30;
        int filled = p.Total == 0 ? width : (int)((long)width * p.Done / p.Total);
        error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', filled)}{new string('.', width - filled)}] {p.Done}/{p.Total}  {p.ItemsPerSecond:0.0}/s  ETA {p.Eta:hh\\:mm\\:ss}  "));
        _drawn = true;
    }

    /// <summary>Draws stage progress; a stage after the first (collect's relevance pass) starts a new line under its name.</summary>
    public void Report(Unravel.Atlas.Stages.StageProgress p)
    {
        if (_stage is not null && p.Stage != _stage)
        {
            Finish();
            error.WriteLine(p.Stage + ":");
            _last = DateTime.MinValue;
        }
        _stage = p.Stage;
        Report(new CollectionProgress(p.Done, p.Total, p.ItemsPerSecond, p.Eta));
    }

    /// <summary>Runs <paramref name="stage"/> with a progress bar on <paramref name="error"/>, finished even when it throws.</summary>
    public static T Around<T>(TextWriter error, Func<IProgress<Unravel.Atlas.Stages.StageProgress>, T> stage)
    {
        var bar = new ProgressBar(error);
        try
        {
            return stage(bar);
        }
        finally
        {
            bar.Finish();
        }
    }

    public void Finish()
    {
        if (_drawn) error.WriteLine();
        _drawn = false;
    }
}
