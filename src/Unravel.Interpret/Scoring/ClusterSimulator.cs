// Simulator of any explanation that splits a neuron into parts and assigns each input to one part: the prediction is
// the part's typical activation (the mean over its train inputs). PURE's virtual neurons (Dreyer et al. 2024) use it
// through PureSimulator; neuron-embedding clusters plug in here with their own assignment per row.

namespace Unravel.Interpret.Scoring;

/// <summary>Predicts the value of the cluster each row is assigned to.</summary>
public sealed class ClusterSimulator : ISimulator
{
    private readonly int[] _cluster;
    private readonly double[] _value;

    /// <summary>Rows assigned to clusters 0 … values.Count−1.</summary>
    /// <param name="clusterOfRow">Cluster per row (all rows the simulator may be asked about).</param>
    /// <param name="valueOfCluster">Predicted activation per cluster.</param>
    /// <param name="name">Name for tables.</param>
    /// <exception cref="ArgumentException">A cluster id is outside the values.</exception>
    public ClusterSimulator(int[] clusterOfRow, double[] valueOfCluster, string name)
    {
        ArgumentNullException.ThrowIfNull(clusterOfRow);
        ArgumentNullException.ThrowIfNull(valueOfCluster);
        foreach (int c in clusterOfRow)
            if ((uint)c >= (uint)valueOfCluster.Length)
                throw new ArgumentException($"score: cluster {c} has no value ({valueOfCluster.Length} clusters).", nameof(clusterOfRow));
        _cluster = clusterOfRow;
        _value = valueOfCluster;
        Name = name;
    }

    /// <summary>Values = mean activation of each cluster's <paramref name="fitRows"/> (0 for a cluster without any).</summary>
    public static ClusterSimulator FromMeans(int[] clusterOfRow, int clusters, ReadOnlySpan<float> activation, ReadOnlySpan<int> fitRows, string name)
    {
        ArgumentNullException.ThrowIfNull(clusterOfRow);
        var sum = new double[clusters];
        var count = new int[clusters];
        foreach (int r in fitRows)
        {
            int c = clusterOfRow[r];
            if ((uint)c >= (uint)clusters) throw new ArgumentException($"score: row {r} is in cluster {c} of {clusters}.", nameof(clusterOfRow));
            sum[c] += activation[r];
            count[c]++;
        }
        return new ClusterSimulator(clusterOfRow, sum.Select((s, c) => count[c] > 0 ? s / count[c] : 0).ToArray(), name);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public void Predict(ReadOnlySpan<int> rows, Span<double> destination)
    {
        Checks.Lengths(rows, destination, _cluster.Length);
        for (int i = 0; i < rows.Length; i++) destination[i] = _value[_cluster[rows[i]]];
    }
}
