// The ratio columns of the `unravel-bench` tables: per round, ours / other in items per second (equivalently the other
// engine's time over ours), so > 1 means our engine is faster; the table gives the median and the min-max over rounds.
// Rounds are interleaved (ours, other, ours, other, ...), so host noise in one round hits both sides of its ratio.

namespace Unravel.Bench;

/// <summary>Median and range of the per-round ratios ours / other (items per second; &gt; 1: ours faster).</summary>
internal readonly record struct RatioStats(double Median, double Min, double Max)
{
    /// <summary>The ratios of <paramref name="ours"/>[r] / <paramref name="other"/>[r], summarised; null without the other engine.</summary>
    /// <exception cref="ArgumentException">The two lists differ in length or are empty.</exception>
    public static RatioStats? FromRates(IReadOnlyList<double> ours, IReadOnlyList<double>? other)
    {
        ArgumentNullException.ThrowIfNull(ours);
        if (other is null) return null;
        if (ours.Count != other.Count || ours.Count == 0)
            throw new ArgumentException($"ratio: {ours.Count} rounds of ours against {other.Count} of the other engine.", nameof(other));
        double[] ratios = ours.Select((o, r) => o / other[r]).ToArray();
        return new RatioStats(BenchReport.Median(ratios), ratios.Min(), ratios.Max());
    }

    /// <summary>"1.23 (0.98-1.40)".</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Median:F2} ({Min:F2}-{Max:F2})");
}
