// Per-neuron polysemanticity summary of the concept-vector method (docs/methods/concept-vectors.md).

namespace Unravel.Interpret.Concepts;

/// <summary>How many concepts a neuron's top inputs split into, and continuous measures of it.</summary>
/// <param name="Concepts">Number of surviving concepts.</param>
/// <param name="Score">Effective number of concepts, exp(H(p)) with p the concepts' sizes normalised to sum 1
/// (0 when none survives): 1 for one concept, 2 for two equal ones, between 1 and 2 for an unequal pair.</param>
/// <param name="Separation">Height of the top Ward merge divided by the lower quartile of the top inputs' pairwise
/// distances (0 when fewer than 2 inputs or all identical): independent of the cut, it ranks neurons within one
/// concept count too; the default cut (rel:10) splits a neuron exactly when it is ≥ 10.</param>
public sealed record Polysemanticity(int Concepts, double Score, double Separation)
{
    /// <summary>The definition of <see cref="Score"/>, as written into results.</summary>
    public const string Definition =
        "exp(entropy of the concept size shares) = effective number of concepts (1 = one concept, 2 = two equal ones; 0 if none survives)";
}
