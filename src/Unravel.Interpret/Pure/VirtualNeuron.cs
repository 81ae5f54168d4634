// One virtual neuron: a cluster of a neuron's circuits (docs/methods/pure.md).

namespace Unravel.Interpret.Pure;

/// <summary>A virtual neuron of a polysemantic neuron.</summary>
/// <param name="Id">Cluster index, 0 … k−1.</param>
/// <param name="Size">References in the cluster.</param>
/// <param name="Share">Size / number of references.</param>
/// <param name="Centroid">k-means centroid over the lower layer's channels [C_lower].</param>
/// <param name="Members">Its references, by the neuron's activation (best first).</param>
/// <param name="TopInputs">Inputs routed to it (nearest centroid), by the neuron's activation, best first.</param>
/// <param name="TopScores">The neuron's max activation for each of <paramref name="TopInputs"/>.</param>
public sealed record VirtualNeuron(int Id, int Size, double Share, float[] Centroid, long[] Members, long[] TopInputs, float[] TopScores);
