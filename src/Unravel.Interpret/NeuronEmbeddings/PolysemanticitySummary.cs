// A layer's polysemanticity metrics aggregated over neurons (A. Foote 2024, arXiv 2411.08166, §3.3.1, Table 1).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Median and mean of each metric over the neurons with at least two examples.</summary>
/// <param name="Neurons">Neurons clustered.</param>
/// <param name="MultiClusterShare">The share of them with two or more clusters.</param>
/// <param name="MaxDist">Over neurons.</param>
/// <param name="MeanDist">Over neurons.</param>
/// <param name="Clusters">Over neurons.</param>
/// <param name="Intra">Over neurons where some cluster has two members.</param>
/// <param name="Inter">Over neurons with two or more clusters.</param>
public sealed record PolysemanticitySummary(int Neurons, double MultiClusterShare, MetricAggregate MaxDist, MetricAggregate MeanDist,
    MetricAggregate Clusters, MetricAggregate Intra, MetricAggregate Inter)
{
    /// <summary>Summarises per-neuron metrics.</summary>
    public static PolysemanticitySummary Of(IReadOnlyList<PolysemanticityMetrics> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return new PolysemanticitySummary(metrics.Count,
            metrics.Count == 0 ? double.NaN : metrics.Count(m => m.Clusters >= 2) / (double)metrics.Count,
            MetricAggregate.Of(metrics.Select(m => m.MaxDist)), MetricAggregate.Of(metrics.Select(m => m.MeanDist)),
            MetricAggregate.Of(metrics.Select(m => (double)m.Clusters)), MetricAggregate.Of(metrics.Select(m => m.Intra)),
            MetricAggregate.Of(metrics.Select(m => m.Inter)));
    }
}
