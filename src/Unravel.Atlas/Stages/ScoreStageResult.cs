// What the score stage did, for the command's table or JSON.

using Unravel.Atlas.Methods;

namespace Unravel.Atlas.Stages;

/// <summary>The outcome of a score run.</summary>
/// <param name="Layer">The layer (resolved name).</param>
/// <param name="Split">The split every score was measured on.</param>
/// <param name="Neurons">Each scored neuron with its scores, ascending.</param>
/// <param name="Elapsed">Time spent.</param>
public sealed record ScoreStageResult(AtlasLayer Layer, DataSplitRecord Split, IReadOnlyList<(int Neuron, ScoresRecord Scores)> Neurons, TimeSpan Elapsed)
{
    /// <summary>Median test r per method over the scored neurons (undefined scores left out).</summary>
    public IReadOnlyList<(string Method, int Neurons, double Median)> Medians =>
        [.. Neurons.SelectMany(n => n.Scores.Scores).GroupBy(s => s.Method).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count(), ExplainStageResult.Median(g.Select(s => s.TestCorrelation ?? double.NaN))))];
}
