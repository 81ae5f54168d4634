// One concept of a neuron inside a ConceptsRecord.

namespace Unravel.Atlas.Methods;

/// <summary>A concept: a cluster of a neuron's top inputs and its direction in activation space.</summary>
/// <param name="Id">Concept index within the neuron.</param>
/// <param name="Size">Members.</param>
/// <param name="Share">Size over the number of clustered top inputs.</param>
/// <param name="Members">Dataset indices of the members.</param>
/// <param name="Vector">The concept vector (unit length, over the layer's channels).</param>
/// <param name="TopInputs">Dataset indices by projection onto the vector, best first.</param>
/// <param name="TopScores">Their projections.</param>
/// <param name="LabelEntropy">Entropy (bits) of the members' class labels, when labels exist.</param>
public sealed record ConceptRecord(int Id, int Size, double Share, long[] Members, float[] Vector, long[] TopInputs, float[] TopScores, double? LabelEntropy);
