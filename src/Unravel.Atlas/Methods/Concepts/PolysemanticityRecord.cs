// The polysemanticity of a neuron inside a ConceptsRecord.

namespace Unravel.Atlas.Methods;

/// <summary>How many concepts a neuron mixes.</summary>
/// <param name="Concepts">Number of concepts that survived.</param>
/// <param name="Score">exp(entropy of the concept shares): the effective number of concepts.</param>
/// <param name="Definition">What <paramref name="Score"/> means, in words.</param>
/// <param name="Separation">Mean distance between concept centroids over the mean within-concept spread.</param>
public sealed record PolysemanticityRecord(int Concepts, double Score, string Definition, double Separation);
