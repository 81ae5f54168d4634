// One concept of a neuron (O'Mahony et al. 2023; docs/methods/concept-vectors.md).

namespace Unravel.Interpret.Concepts;

/// <summary>A surviving cluster of a neuron's top inputs and its unit-norm mean direction.</summary>
/// <param name="Id">Concept number, 0 = largest cluster.</param>
/// <param name="Members">Rows (of the pooled matrix) of the cluster's members, in top-input order.</param>
/// <param name="Share">Members / number of top inputs analysed.</param>
/// <param name="Vector">The concept vector [C]: mean of the members' pooled vectors, L2-normalised.</param>
/// <param name="TopRows">Rows of all inputs ranked by projection onto <paramref name="Vector"/>, best first.</param>
/// <param name="TopScores">Their projections ⟨a(x), v⟩.</param>
/// <param name="LabelEntropy">Label entropy (bits) of <paramref name="TopRows"/>, when labels were given.</param>
public sealed record Concept(int Id, int[] Members, double Share, float[] Vector, int[] TopRows, float[] TopScores, double? LabelEntropy)
{
    /// <summary>Number of members.</summary>
    public int Size => Members.Length;
}
