// Coordinates for drawing a dendrogram, following scipy.cluster.hierarchy.dendrogram(no_plot=True).

namespace Unravel.Interpret.Clustering;

/// <summary>Leaf order and link coordinates for drawing a <see cref="Dendrogram"/>.</summary>
/// <param name="Leaves">Sample indices from left to right (SciPy's <c>leaves</c>): a depth-first walk from the root
/// that visits each merge's <see cref="Merge.Left"/> child first.</param>
/// <param name="Links">One link per merge, in SciPy's order (post-order of that walk).</param>
public sealed record DendrogramLayout(int[] Leaves, IReadOnlyList<DendrogramLink> Links);
