// Agglomerative (hierarchical) clustering with SciPy's algorithms and output conventions.
// Reference: scipy/cluster/_hierarchy.pyx (SciPy 1.10): `nn_chain` (Ward, average, complete; Lance–Williams updates,
// Müllner 2011, "Modern hierarchical, agglomerative clustering algorithms", arXiv:1109.2378) and
// `mst_single_linkage` (Prim's minimum spanning tree), followed by a stable sort of the merges by height and
// union-find relabelling (`label`). Reproducing the same algorithms gives SciPy's merge order and cluster ids,
// including its tie-breaking when two candidate distances are equal.

namespace Unravel.Interpret.Clustering;

/// <summary>Agglomerative clustering of samples into a <see cref="Dendrogram"/>.</summary>
public static class Agglomerative
{
    private const string Op = "agglomerative";

    /// <summary>Builds the full merge tree of the rows of <paramref name="data"/> [N, D].</summary>
    /// <remarks>Effectively computes <c>scipy.cluster.hierarchy.linkage(data, method, metric)</c>: distances and
    /// heights are computed in float64; Ward heights use the Euclidean (square-root) form that SciPy and
    /// scikit-learn report. Time O(N²·D + N²), memory O(N²) for the condensed distance matrix.</remarks>
    /// <exception cref="ArgumentException">N or D is 0; the data holds NaN or ±Inf; Ward is combined with a
    /// non-Euclidean metric; a row is all zeros under the cosine metric.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static Dendrogram Fit(float[,] data, Linkage linkage = Linkage.Ward, DistanceMetric metric = DistanceMetric.Euclidean,
        CancellationToken cancellationToken = default) =>
        Fit(DataMatrix.From(data, Op), linkage, metric, cancellationToken);

    /// <summary>Builds the full merge tree of a row-major [rows, cols] matrix.</summary>
    /// <inheritdoc cref="Fit(float[,], Linkage, DistanceMetric, CancellationToken)"/>
    public static Dendrogram Fit(ReadOnlySpan<float> data, int rows, int cols, Linkage linkage = Linkage.Ward,
        DistanceMetric metric = DistanceMetric.Euclidean, CancellationToken cancellationToken = default) =>
        Fit(DataMatrix.From(data, rows, cols, Op), linkage, metric, cancellationToken);

    private static Dendrogram Fit(DataMatrix x, Linkage linkage, DistanceMetric metric, CancellationToken ct)
    {
        if (!Enum.IsDefined(linkage))
            throw new ArgumentException($"{Op}: unknown linkage {(int)linkage}.", nameof(linkage));
        if (!Enum.IsDefined(metric))
            throw new ArgumentException($"{Op}: unknown metric {(int)metric}.", nameof(metric));
        if (linkage == Linkage.Ward && metric != DistanceMetric.Euclidean)
            throw new ArgumentException($"{Op}: Ward linkage needs the Euclidean metric, got {metric}.", nameof(metric));
        int n = x.Rows;
        if (n == 1) return new Dendrogram(1, [], linkage, metric);
        double[] d = Distances.Condensed(x, metric, Op);
        RawMerge[] raw = linkage == Linkage.Single ? MstSingle(d, n, ct) : NnChain(d, n, linkage, ct);
        return new Dendrogram(n, Label(raw, n), linkage, metric);
    }

    /// <summary>A merge before relabelling: x and y are the slots (sample indices) that held the two clusters.</summary>
    private record struct RawMerge(int X, int Y, double Height);

    // SciPy's nn_chain: follow nearest neighbours until two clusters are mutual nearest neighbours, merge them into
    // the slot of the larger index, and update distances by Lance–Williams. Ties prefer the previous chain element,
    // then the lowest index, as in SciPy.
    private static RawMerge[] NnChain(double[] d, int n, Linkage linkage, CancellationToken ct)
    {
        var merges = new RawMerge[n - 1];
        var size = new int[n];
        Array.Fill(size, 1);
        var chain = new int[n];
        int chainLength = 0;
        for (int k = 0; k < n - 1; k++)
        {
            ct.ThrowIfCancellationRequested();
            if (chainLength == 0)
            {
                chainLength = 1;
                for (int i = 0; i < n; i++)
                {
                    if (size[i] > 0) { chain[0] = i; break; }
                }
            }
            int x, y = 0;
            double currentMin;
            while (true)
            {
                x = chain[chainLength - 1];
                if (chainLength > 1)
                {
                    y = chain[chainLength - 2];
                    currentMin = d[Distances.CondensedIndex(n, x, y)];
                }
                else
                {
                    currentMin = double.PositiveInfinity;
                }
                // Scan row x of the condensed matrix: entries (i, x) for i < x are strided, (x, i) for i > x contiguous.
                for (int i = 0, idx = x - 1; i < x; idx += n - i - 2, i++)
                {
                    if (size[i] != 0 && d[idx] < currentMin)
                    {
                        currentMin = d[idx];
                        y = i;
                    }
                }
                for (int i = x + 1, idx = Distances.CondensedIndex(n, x, Math.Min(x + 1, n - 1)); i < n; i++, idx++)
                {
                    if (size[i] != 0 && d[idx] < currentMin)
                    {
                        currentMin = d[idx];
                        y = i;
                    }
                }
                if (chainLength > 1 && y == chain[chainLength - 2]) break;
                chain[chainLength++] = y;
            }
            chainLength -= 2;
            if (x > y) (x, y) = (y, x);
            int nx = size[x], ny = size[y];
            merges[k] = new RawMerge(x, y, currentMin);
            size[x] = 0;
            size[y] = nx + ny;
            for (int i = 0; i < n; i++)
            {
                int ni = size[i];
                if (ni == 0 || i == y) continue;
                int iy = Distances.CondensedIndex(n, i, y);
                d[iy] = LanceWilliams(linkage, d[Distances.CondensedIndex(n, i, x)], d[iy], currentMin, nx, ny, ni);
            }
        }
        return merges;
    }

    /// <summary>Distance from cluster i to the union of x and y, from d(x,i), d(y,i), d(x,y) and the sizes.</summary>
    private static double LanceWilliams(Linkage linkage, double dxi, double dyi, double dxy, int nx, int ny, int ni)
    {
        switch (linkage)
        {
            case Linkage.Ward:
                double t = 1.0 / (nx + ny + ni);
                return Math.Sqrt((ni + nx) * t * dxi * dxi + (ni + ny) * t * dyi * dyi - ni * t * dxy * dxy);
            case Linkage.Average:
                return (nx * dxi + ny * dyi) / (nx + ny);
            case Linkage.Complete:
                return Math.Max(dxi, dyi);
            default:
                return Math.Min(dxi, dyi);
        }
    }

    // SciPy's mst_single_linkage: Prim's algorithm; each edge added to the tree is one single-linkage merge.
    private static RawMerge[] MstSingle(double[] d, int n, CancellationToken ct)
    {
        var merges = new RawMerge[n - 1];
        var merged = new bool[n];
        var best = new double[n];
        Array.Fill(best, double.PositiveInfinity);
        int x = 0, y = 0;
        for (int k = 0; k < n - 1; k++)
        {
            ct.ThrowIfCancellationRequested();
            double currentMin = double.PositiveInfinity;
            merged[x] = true;
            for (int i = 0; i < n; i++)
            {
                if (merged[i]) continue;
                double dist = d[Distances.CondensedIndex(n, x, i)];
                if (best[i] > dist) best[i] = dist;
                if (best[i] < currentMin)
                {
                    y = i;
                    currentMin = best[i];
                }
            }
            merges[k] = new RawMerge(x, y, currentMin);
            x = y;
        }
        return merges;
    }

    // Stable sort by height (numpy argsort kind='mergesort'), then SciPy's union-find relabelling: merge i creates
    // cluster N + i, and each row names the current roots of its two slots, smaller id first.
    private static Merge[] Label(RawMerge[] raw, int n)
    {
        int[] order = Enumerable.Range(0, raw.Length).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int c = raw[a].Height.CompareTo(raw[b].Height);
            return c != 0 ? c : a.CompareTo(b);
        });
        var parent = new int[2 * n - 1];
        var size = new int[2 * n - 1];
        for (int i = 0; i < parent.Length; i++) parent[i] = i;
        for (int i = 0; i < n; i++) size[i] = 1;
        var merges = new Merge[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            RawMerge m = raw[order[i]];
            int rx = Find(parent, m.X), ry = Find(parent, m.Y);
            int next = n + i;
            parent[rx] = next;
            parent[ry] = next;
            size[next] = size[rx] + size[ry];
            merges[i] = new Merge(Math.Min(rx, ry), Math.Max(rx, ry), m.Height, size[next]);
        }
        return merges;
    }

    private static int Find(int[] parent, int x)
    {
        int root = x;
        while (parent[root] != root) root = parent[root];
        while (parent[x] != root)
        {
            int next = parent[x];
            parent[x] = root;
            x = next;
        }
        return root;
    }
}
