// Aggregation of a per-neuron metric over the neurons of a layer. The paper reports medians (A. Foote 2024,
// arXiv 2411.08166, Table 1 text and Table 3; its Table 1 caption says "averaged"), so both are kept.

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Median and mean of a metric over the neurons where it is defined.</summary>
/// <param name="Median">The median (mean of the two middle values for an even count); NaN when undefined everywhere.</param>
/// <param name="Mean">The mean; NaN when undefined everywhere.</param>
/// <param name="Count">The neurons where the metric is defined (not NaN).</param>
public readonly record struct MetricAggregate(double Median, double Mean, int Count)
{
    /// <summary>Aggregates <paramref name="values"/>, skipping NaN.</summary>
    public static MetricAggregate Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double[] v = values.Where(x => !double.IsNaN(x)).Order().ToArray();
        if (v.Length == 0) return new MetricAggregate(double.NaN, double.NaN, 0);
        double median = v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        return new MetricAggregate(median, v.Average(), v.Length);
    }
}
