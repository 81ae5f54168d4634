// The merge tree of an agglomerative clustering, its flat cuts and its drawing layout.
// References: scipy.cluster.hierarchy.linkage (matrix layout), sklearn.cluster.AgglomerativeClustering
// (distance_threshold rule, `_hc_cut`), scipy.cluster.hierarchy.dendrogram (icoord/dcoord/leaves).

namespace Unravel.Interpret.Clustering;

/// <summary>A full agglomerative merge tree over N samples, in SciPy's linkage-matrix layout.</summary>
/// <remarks>Merge i joins clusters <see cref="Merge.Left"/> and <see cref="Merge.Right"/> (ids below N are samples,
/// id N + j is the cluster formed by merge j) into cluster N + i. Merges are sorted by non-decreasing height.</remarks>
public sealed class Dendrogram
{
    private readonly Merge[] _merges;
    private readonly double[] _heights;

    internal Dendrogram(int leafCount, Merge[] merges, Linkage linkage, DistanceMetric metric)
    {
        LeafCount = leafCount;
        _merges = merges;
        _heights = merges.Select(m => m.Height).ToArray();
        Linkage = linkage;
        Metric = metric;
    }

    /// <summary>The number of samples N.</summary>
    public int LeafCount { get; }

    /// <summary>The N − 1 merges, lowest first (the rows of SciPy's linkage matrix).</summary>
    public IReadOnlyList<Merge> Merges => _merges;

    /// <summary>The linkage criterion that built the tree.</summary>
    public Linkage Linkage { get; }

    /// <summary>The sample distance that built the tree.</summary>
    public DistanceMetric Metric { get; }

    /// <summary>The merge heights, lowest first (scikit-learn's <c>distances_</c>).</summary>
    public IReadOnlyList<double> Heights => _heights;

    /// <summary>The number of clusters left when the tree is cut at <paramref name="threshold"/>.</summary>
    /// <remarks>Effectively computes scikit-learn's rule <c>count(heights ≥ threshold) + 1</c>: a merge whose
    /// height equals the threshold is undone.</remarks>
    public int ClusterCountAt(double threshold)
    {
        if (double.IsNaN(threshold))
            throw new ArgumentException("dendrogram: the cut threshold is NaN.", nameof(threshold));
        int count = 1;
        foreach (Merge m in _merges)
        {
            if (m.Height >= threshold) count++;
        }
        return count;
    }

    /// <summary>Flat clusters from cutting the tree at height <paramref name="threshold"/>.</summary>
    /// <remarks>Effectively computes <c>AgglomerativeClustering(n_clusters=None, distance_threshold=threshold)</c>
    /// labels: k = <see cref="ClusterCountAt"/>(threshold), then <see cref="CutCount"/>(k).</remarks>
    /// <returns>Labels [N] in 0..k−1 (see <see cref="CutCount"/> for the numbering).</returns>
    /// <exception cref="ArgumentException">The threshold is NaN.</exception>
    public int[] CutDistance(double threshold) => CutCount(ClusterCountAt(threshold));

    /// <summary>Flat clusters from undoing the last <paramref name="clusters"/> − 1 merges.</summary>
    /// <remarks>Effectively computes scikit-learn's <c>_hc_cut(clusters, children_, N)</c>, which always yields
    /// exactly k clusters. SciPy's <c>fcluster(Z, k, 'maxclust')</c> agrees whenever the heights of merges
    /// N − k and N − k + 1 differ; with tied heights it may return fewer clusters. Labels are numbered by first
    /// appearance: sample 0 gets label 0, the first sample outside its cluster gets label 1, and so on.</remarks>
    /// <returns>Labels [N] in 0..k−1.</returns>
    /// <exception cref="ArgumentOutOfRangeException">k is below 1 or above N.</exception>
    public int[] CutCount(int clusters)
    {
        int n = LeafCount;
        if (clusters < 1 || clusters > n)
            throw new ArgumentOutOfRangeException(nameof(clusters), clusters, $"dendrogram: cannot cut {n} samples into {clusters} clusters (need 1 ≤ k ≤ {n}).");
        // Replay the first N − k merges with union-find; the remaining roots are the clusters.
        var parent = new int[2 * n - 1];
        for (int i = 0; i < parent.Length; i++) parent[i] = i;
        for (int i = 0; i < n - clusters; i++)
        {
            parent[_merges[i].Left] = n + i;
            parent[_merges[i].Right] = n + i;
        }
        var labels = new int[n];
        var labelOfRoot = new Dictionary<int, int>();
        for (int s = 0; s < n; s++)
        {
            int r = s;
            while (parent[r] != r) r = parent[r];
            if (!labelOfRoot.TryGetValue(r, out int label))
            {
                label = labelOfRoot.Count;
                labelOfRoot[r] = label;
            }
            labels[s] = label;
        }
        return labels;
    }

    /// <summary>The leaf order and link coordinates for drawing the tree.</summary>
    /// <remarks>Effectively computes <c>scipy.cluster.hierarchy.dendrogram(Z, no_plot=True)</c> with default
    /// options: <c>leaves</c>, and <c>icoord</c>/<c>dcoord</c> as <see cref="DendrogramLink.X"/>/<see cref="DendrogramLink.Y"/>.
    /// Leaf j of the order sits at x = 10·j + 5; a cluster sits at the midpoint of its children.</remarks>
    public DendrogramLayout Layout()
    {
        int n = LeafCount;
        if (n == 1) return new DendrogramLayout([0], []);
        var leaves = new List<int>(n);
        var links = new List<DendrogramLink>(n - 1);
        var x = new double[2 * n - 1];
        // Iterative post-order walk (single linkage can chain N deep): visit Left, then Right, then the node.
        var stack = new Stack<(int Node, bool Expanded)>();
        stack.Push((2 * n - 2, false));
        while (stack.Count > 0)
        {
            (int node, bool expanded) = stack.Pop();
            if (node < n)
            {
                x[node] = 10.0 * leaves.Count + 5.0;
                leaves.Add(node);
                continue;
            }
            Merge m = _merges[node - n];
            if (!expanded)
            {
                stack.Push((node, true));
                stack.Push((m.Right, false));
                stack.Push((m.Left, false));
                continue;
            }
            double xl = x[m.Left], xr = x[m.Right];
            x[node] = (xl + xr) / 2;
            links.Add(new DendrogramLink(node, [xl, xl, xr, xr], [HeightOf(m.Left), m.Height, m.Height, HeightOf(m.Right)]));
        }
        return new DendrogramLayout(leaves.ToArray(), links);
    }

    private double HeightOf(int node) => node < LeafCount ? 0.0 : _merges[node - LeafCount].Height;
}
