// One virtual neuron inside a PureRecord.

namespace Unravel.Atlas.Methods;

/// <summary>A virtual neuron: a cluster of a neuron's circuits.</summary>
/// <param name="Id">Cluster index, 0 … k−1.</param>
/// <param name="Size">References in the cluster.</param>
/// <param name="Share">Size over the number of references.</param>
/// <param name="Centroid">k-means centroid over the lower layer's channels.</param>
/// <param name="Members">Its references, by the neuron's activation.</param>
/// <param name="TopInputs">Inputs routed to it (nearest centroid), by the neuron's activation.</param>
/// <param name="TopScores">The neuron's max activation on each of them.</param>
public sealed record VirtualNeuronRecord(int Id, int Size, double Share, float[] Centroid, long[] Members, long[] TopInputs, float[] TopScores);
