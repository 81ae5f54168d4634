// Progress of a stage: items done of how many (neurons, inputs, circuits), the rate and the estimated time left.

namespace Unravel.Atlas.Stages;

/// <summary>Progress of a running stage.</summary>
/// <param name="Stage">Stage name ("concepts").</param>
/// <param name="Done">Items done.</param>
/// <param name="Total">Items in all.</param>
/// <param name="ItemsPerSecond">Rate so far.</param>
/// <param name="Eta">Estimated time left.</param>
public readonly record struct StageProgress(string Stage, int Done, int Total, double ItemsPerSecond, TimeSpan Eta)
{
    /// <summary>Progress after <paramref name="done"/> of <paramref name="total"/> items in <paramref name="elapsed"/>.</summary>
    public static StageProgress After(string stage, int done, int total, TimeSpan elapsed)
    {
        double rate = done / Math.Max(elapsed.TotalSeconds, 1e-9);
        return new StageProgress(stage, done, total, rate, TimeSpan.FromSeconds(Math.Min((total - done) / Math.Max(rate, 1e-9), TimeSpan.MaxValue.TotalSeconds / 2)));
    }
}
