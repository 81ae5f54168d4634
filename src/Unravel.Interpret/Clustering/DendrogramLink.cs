// One ⊓-shaped link of a drawn dendrogram, in SciPy's icoord/dcoord layout.

namespace Unravel.Interpret.Clustering;

/// <summary>One merge drawn as a ⊓: four points (X[i], Y[i]) from the top of the left child, up to the merge
/// height, across, and down to the top of the right child (SciPy's <c>icoord</c>/<c>dcoord</c> rows).</summary>
/// <param name="Node">The cluster id formed by this merge (N + merge index).</param>
/// <param name="X">Four x-coordinates: [xLeft, xLeft, xRight, xRight]; leaf j of the leaf order sits at 10·j + 5.</param>
/// <param name="Y">Four heights: [heightLeft, height, height, heightRight]; a leaf has height 0.</param>
public sealed record DendrogramLink(int Node, double[] X, double[] Y);
