// Simulator of PURE's virtual neurons (Dreyer et al. 2024, "PURE: turning polysemantic neurons into pure features by
// identifying relevant circuits", CVPR workshops): an input's circuit (its relevance over the lower layer's channels) is
// routed to the nearest virtual-neuron centroid, and the prediction is that virtual neuron's mean activation over the
// train inputs routed to it. The routing is the hard nearest-centroid rule of VirtualNeurons.Route.

using Unravel.Interpret.Pure;

namespace Unravel.Interpret.Scoring;

/// <summary>Builds a <see cref="ClusterSimulator"/> from a PURE result and the circuits of the scored rows.</summary>
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
        int k = neuron.VirtualNeurons.Count, d = neuron.VirtualNeurons[0].Centroid.Length;
        var centroids = new float[k, d];
        for (int j = 0; j < k; j++)
            for (int f = 0; f < d; f++) centroids[j, f] = neuron.VirtualNeurons[j].Centroid[f];
        int[] route = circuits.Select(c => VirtualNeurons.Route(c, centroids)).ToArray();
        return ClusterSimulator.FromMeans(route, k, activation, fitRows, "pure");
    }
}
