// Simulator of PURE's virtual neurons (Dreyer et al. 2024, "PURE: turning polysemantic neurons into pure features by
// identifying relevant circuits", CVPR workshops): an input's circuit (its relevance over the lower layer's channels) is
// routed to the nearest virtual-neuron centroid, and the prediction is that virtual neuron's mean activation over the
// train inputs routed to it. The routing is the hard nearest-centroid rule of VirtualNeurons.Route. An input on which
// the neuron is silent (relu(A_j) = 0 everywhere) has the zero circuit, which belongs to no virtual neuron: such inputs
// form one more part, "silent", predicted by its own train mean (the PURE stage skips them for the same reason).

using Unravel.Interpret.Pure;

namespace Unravel.Interpret.Scoring;

/// <summary>Builds a <see cref="ClusterSimulator"/> from PURE centroids and the circuits of the scored rows.</summary>
public static class PureSimulator
{
    /// <summary>Routes every row's circuit and fits each virtual neuron's value on <paramref name="fitRows"/>.</summary>
    /// <param name="neuron">PURE's result for the neuron (its centroids).</param>
    /// <param name="circuits">Circuit of every row [rows][C_lower].</param>
    /// <param name="activation">The neuron's activation per row.</param>
    /// <param name="fitRows">Rows whose mean activation per virtual neuron becomes its prediction (train).</param>
    /// <exception cref="ArgumentException">The neuron has no virtual neuron, or a circuit has the wrong length.</exception>
    public static ClusterSimulator Create(PureNeuronResult neuron, IReadOnlyList<float[]> circuits, ReadOnlySpan<float> activation, ReadOnlySpan<int> fitRows)
    {
        ArgumentNullException.ThrowIfNull(neuron);
        ArgumentNullException.ThrowIfNull(circuits);
        if (neuron.VirtualNeurons.Count == 0)
            throw new ArgumentException($"score: neuron {neuron.Neuron} has no virtual neurons (no reference activated it).", nameof(neuron));
        return Create([.. neuron.VirtualNeurons.Select(v => v.Centroid)], [.. circuits], activation, fitRows);
    }

    /// <summary>Routes the rows that have a circuit and fits each part's value on <paramref name="fitRows"/>.</summary>
    /// <param name="centroids">The k virtual neurons' centroids, each [C_lower].</param>
    /// <param name="circuitOfRow">Per row its circuit, or null for a row that is never fitted on nor asked about
    /// (predicted 0).</param>
    /// <param name="activation">The neuron's activation per row.</param>
    /// <param name="fitRows">Rows (with a circuit) whose mean activation per part becomes its prediction.</param>
    /// <returns>A simulator with parts 0 … k−1 (virtual neurons), k (silent: the zero circuit) and k + 1 (no circuit).</returns>
    /// <exception cref="ArgumentException">No centroid, a circuit of the wrong length, or a fit row without a circuit.</exception>
    public static ClusterSimulator Create(IReadOnlyList<float[]> centroids, IReadOnlyList<float[]?> circuitOfRow, ReadOnlySpan<float> activation, ReadOnlySpan<int> fitRows)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        ArgumentNullException.ThrowIfNull(circuitOfRow);
        if (centroids.Count == 0) throw new ArgumentException("score: PURE has no virtual neuron to route to.", nameof(centroids));
        int k = centroids.Count, d = centroids[0].Length;
        var c = new float[k, d];
        for (int j = 0; j < k; j++)
            for (int f = 0; f < d; f++) c[j, f] = centroids[j][f];
        int[] route = [.. circuitOfRow.Select(x => x is null ? k + 1 : IsSilent(x) ? k : VirtualNeurons.Route(x, c))];
        foreach (int r in fitRows)
            if (route[r] == k + 1) throw new ArgumentException($"score: fit row {r} has no circuit.", nameof(fitRows));
        return ClusterSimulator.FromMeans(route, k + 2, activation, fitRows, "pure");
    }

    /// <summary>True for the zero circuit: the neuron is silent on the input and no channel below carries relevance.</summary>
    public static bool IsSilent(ReadOnlySpan<float> circuit)
    {
        foreach (float v in circuit)
            if (v != 0) return false;
        return true;
    }
}
