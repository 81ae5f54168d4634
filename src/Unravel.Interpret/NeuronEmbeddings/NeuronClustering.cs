// Feature clusters and polysemanticity metrics of one neuron (A. Foote 2024, "Tackling Polysemanticity with Neuron
// Embeddings", arXiv 2411.08166, §3.2, §3.3.1, eq. 3): d_ab = 1 − cos(e_a, e_b); hierarchical agglomerative
// clustering with average linkage (each branch point is the average distance between the two clusters, Fig. 2), flat
// clusters where merging stops at the threshold (0.5; scikit-learn's distance_threshold rule: merges at or above it are
// undone); MaxDist, MeanDist, the cluster count, and pair-pooled intra- and inter-cluster distances.

using Unravel.Interpret.Clustering;

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Clusters one neuron's example vectors.</summary>
public static class NeuronClustering
{
    private const string Op = "feature clusters";

    /// <summary>The paper's cut: clusters stop merging at cosine distance 0.5.</summary>
    public const double DefaultThreshold = 0.5;

    /// <summary>Clusters the rows of a row-major [n, C] matrix, n ≥ 2.</summary>
    /// <remarks>Effectively computes <c>AgglomerativeClustering(metric="cosine", linkage="average",
    /// distance_threshold=threshold, n_clusters=None)</c> labels and <c>scipy.cluster.hierarchy.linkage(x, "average",
    /// "cosine")</c>; distances in float64.</remarks>
    /// <exception cref="ArgumentException">Fewer than 2 rows, a zero row, NaN/±Inf, or a NaN threshold.</exception>
    public static FeatureClusters Cluster(ReadOnlySpan<float> rows, int n, int width, double threshold = DefaultThreshold,
        CancellationToken cancellationToken = default)
    {
        if (n < 2) throw new ArgumentException($"{Op}: {n} example(s); clustering needs at least 2.", nameof(n));
        if (double.IsNaN(threshold)) throw new ArgumentException($"{Op}: the threshold is NaN.", nameof(threshold));
        Dendrogram tree = Agglomerative.Fit(rows, n, width, Linkage.Average, DistanceMetric.Cosine, cancellationToken);
        double[] d = Distances.Condensed(DataMatrix.From(rows, n, width, Op), DistanceMetric.Cosine, Op);
        int[] labels = tree.CutDistance(threshold);
        int k = labels.Max() + 1;
        return new FeatureClusters(labels, tree, Centrals(d, labels, k), Sizes(labels, k), Metrics(d, labels, k));
    }

    /// <summary>The metrics of a labelling from a condensed distance matrix (SciPy pdist order).</summary>
    internal static PolysemanticityMetrics Metrics(double[] d, int[] labels, int k)
    {
        int n = labels.Length;
        double max = 0, sum = 0, intra = 0, inter = 0;
        long intraCount = 0, interCount = 0;
        for (int a = 0, idx = 0; a < n; a++)
            for (int b = a + 1; b < n; b++, idx++)
            {
                double v = d[idx];
                max = Math.Max(max, v);
                sum += v;
                if (labels[a] == labels[b]) { intra += v; intraCount++; }
                else { inter += v; interCount++; }
            }
        return new PolysemanticityMetrics(max, sum / ((long)n * (n - 1) / 2), k,
            intraCount > 0 ? intra / intraCount : double.NaN, interCount > 0 ? inter / interCount : double.NaN);
    }

    private static int[] Centrals(double[] d, int[] labels, int k)
    {
        int n = labels.Length;
        var central = new int[k];
        var best = new double[k];
        Array.Fill(best, double.PositiveInfinity);
        for (int a = 0; a < n; a++)
        {
            double total = 0;
            for (int b = 0; b < n; b++)
                if (b != a && labels[b] == labels[a]) total += d[Distances.CondensedIndex(n, Math.Min(a, b), Math.Max(a, b))];
            if (total < best[labels[a]])
            {
                best[labels[a]] = total;
                central[labels[a]] = a;
            }
        }
        return central;
    }

    private static int[] Sizes(int[] labels, int k)
    {
        var sizes = new int[k];
        foreach (int l in labels) sizes[l]++;
        return sizes;
    }
}
