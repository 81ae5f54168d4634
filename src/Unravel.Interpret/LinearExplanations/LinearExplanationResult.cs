// Linear explanations of a set of neurons on one concept matrix and split (Oikarinen & Weng 2024, ICML, §3).

namespace Unravel.Interpret.LinearExplanations;

/// <summary>The explanations with everything needed to re-score them.</summary>
/// <param name="Provenance">Provenance of the concept matrix (after the filter).</param>
/// <param name="Concepts">Concepts the fit could use (after the filter); terms' columns index this list.</param>
/// <param name="Split">The train/val/test split (test rows were not used).</param>
/// <param name="Options">Hyperparameters.</param>
/// <param name="Neurons">One explanation per requested neuron, in request order.</param>
public sealed record LinearExplanationResult(ConceptProvenance Provenance, IReadOnlyList<string> Concepts, DataSplit Split,
    LinearExplanationOptions Options, IReadOnlyList<LinearExplanation> Neurons);
