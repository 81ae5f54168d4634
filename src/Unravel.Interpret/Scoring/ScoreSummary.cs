// Layer-level summary of simulation scores (Oikarinen & Weng 2024, §4.1: the plain mean over neurons with SEM = std/√n;
// we add the median, which is robust to dead neurons).

namespace Unravel.Interpret.Scoring;

/// <summary>Mean, SEM and median of per-neuron test correlations.</summary>
/// <param name="Simulator">Simulator name.</param>
/// <param name="Neurons">Neurons scored.</param>
/// <param name="Mean">Mean test r.</param>
/// <param name="StdError">Sample std / √n (NaN for one neuron).</param>
/// <param name="Median">Median test r.</param>
/// <param name="Undefined">Neurons whose r was undefined and counted as 0.</param>
public sealed record ScoreSummary(string Simulator, int Neurons, double Mean, double StdError, double Median, int Undefined)
{
    /// <summary>Summarises scores of one simulator.</summary>
    /// <exception cref="ArgumentException">No scores.</exception>
    public static ScoreSummary From(IReadOnlyList<SimulationScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0) throw new ArgumentException("score: nothing to summarise.", nameof(scores));
        double[] r = scores.Select(s => s.TestCorrelation).Order().ToArray();
        double mean = r.Average();
        double std = r.Length > 1 ? Math.Sqrt(r.Sum(v => (v - mean) * (v - mean)) / (r.Length - 1)) : double.NaN;
        double median = r.Length % 2 == 1 ? r[r.Length / 2] : (r[r.Length / 2 - 1] + r[r.Length / 2]) / 2;
        return new ScoreSummary(scores[0].Simulator, r.Length, mean, std / Math.Sqrt(r.Length), median, scores.Count(s => s.Undefined));
    }
}
