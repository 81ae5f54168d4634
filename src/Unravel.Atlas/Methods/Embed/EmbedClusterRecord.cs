// One feature cluster inside an EmbedRecord (A. Foote 2024, arXiv 2411.08166, §3.2 and §4.1.1).

namespace Unravel.Atlas.Methods;

/// <summary>A feature cluster of a neuron.</summary>
/// <param name="Id">Cluster index within the neuron (numbered by first appearance).</param>
/// <param name="Size">Members.</param>
/// <param name="Central">Index into the record's examples of the member closest on average to the others.</param>
/// <param name="Members">Indices into the record's examples.</param>
/// <param name="Windows">Token windows of the shown members, the central example first.</param>
/// <param name="Importance">Occlusion importance of each token of the central example's window (same length as its
/// tokens), or null when not computed.</param>
/// <param name="Similar">The most similar features of other neurons, of this and the atlas's other embedded layers
/// (central embeddings, cosine).</param>
/// <param name="Embedding">The central example's neuron embedding [C], kept so that later runs on other layers can link
/// to this feature; null in records written before it was stored.</param>
public sealed record EmbedClusterRecord(int Id, int Size, int Central, int[] Members, EmbedWindowRecord[] Windows, float[]? Importance,
    EmbedSimilarRecord[] Similar, float[]? Embedding = null);
