// Result of the concept-vector method for one neuron (docs/methods/concept-vectors.md).

using Unravel.Interpret.Clustering;

namespace Unravel.Interpret.Concepts;

/// <summary>A neuron's top inputs clustered into concepts.</summary>
/// <param name="TopRows">Rows (of the pooled matrix) of the top inputs analysed, best first.</param>
/// <param name="Linkage">Ward tree over <paramref name="TopRows"/> (SciPy linkage layout); null for fewer than 2 inputs.</param>
/// <param name="Scale">Lower quartile of the pairwise Euclidean distances of the top inputs (the unit of relative thresholds).</param>
/// <param name="CutHeight">Resolved Ward cut height.</param>
/// <param name="Radius">Resolved outlier radius.</param>
/// <param name="Labels">Concept id per top input; −1 = outlier or member of a dropped cluster.</param>
/// <param name="Concepts">Surviving concepts, largest first.</param>
/// <param name="Polysemanticity">Concept count and continuous scores.</param>
/// <param name="LabelEntropy">Label entropy (bits) of <paramref name="TopRows"/>, when labels were given.</param>
public sealed record ConceptResult(int[] TopRows, Dendrogram? Linkage, double Scale, double CutHeight, double Radius, int[] Labels,
    Concept[] Concepts, Polysemanticity Polysemanticity, double? LabelEntropy);
