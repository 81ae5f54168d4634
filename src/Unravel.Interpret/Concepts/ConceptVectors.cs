// Concept vectors (O'Mahony, Andrearczyk, Müller, Graziani 2023, "Disentangling neuron representations with concept
// vectors", CVPR workshops; docs/methods/concept-vectors.md, after the authors'
// scripts/neuron_method.py). Per neuron: take the pooled (GAP) vectors of its top inputs in the full layer space,
// Ward-cluster them, cut the tree, refine with k-means, drop outliers and small clusters; each surviving cluster's
// unit-norm mean is a concept vector, and inputs are scored by their projection onto it.
//
// Deviations from the authors (both documented in the spec §1.5):
// - k-means starts from the Ward cluster means (one deterministic run) instead of sklearn's k-means++ with
//   random_state=0 and 5 restarts, which a C# RNG cannot reproduce. Both minimise the within-cluster sum of squares;
//   with a given init our k-means equals sklearn's KMeans(init=array, n_init=1).
// - The cut height and outlier radius default to multiples of the lower quartile of the top inputs' pairwise distances
//   (ConceptOptions), since the authors' absolute 15 / √15 fit only InceptionV3 Mixed_7b; abs:15 / abs:3.873 restore them.

using System.Numerics.Tensors;
using Unravel.Interpret.Clustering;
using Tensor = Unravel.Tensors.Tensor;

namespace Unravel.Interpret.Concepts;

/// <summary>Splits a neuron's top inputs into concepts and derives a direction (concept vector) for each.</summary>
public static class ConceptVectors
{
    private const string Op = "concepts";

    /// <summary>Rows of the <paramref name="k"/> largest values of column <paramref name="neuron"/> of
    /// <paramref name="pooled"/> [N, C], best first (ties to the lower row): the neuron's top inputs by GAP activation,
    /// as the authors select them.</summary>
    /// <exception cref="ArgumentException">pooled is not 2-D, or the neuron is outside it, or k &lt; 1.</exception>
    public static int[] TopRows(Tensor pooled, int neuron, int k)
    {
        (int n, int c) = Shape(pooled);
        if ((uint)neuron >= (uint)c) throw new ArgumentException($"{Op}: neuron {neuron} outside pooled [{n}, {c}].", nameof(neuron));
        if (k < 1) throw new ArgumentException($"{Op}: k = {k}; at least 1 is needed.", nameof(k));
        ReadOnlySpan<float> x = pooled.Data;
        var column = new float[n];
        for (int i = 0; i < n; i++) column[i] = x[i * c + neuron];
        return Best(column, k);
    }

    /// <summary>Clusters a neuron's top inputs into concepts.</summary>
    /// <remarks>Effectively computes, with X the rows <paramref name="topRows"/> of <paramref name="pooled"/>:
    /// Z = Ward linkage of X; k = count(Z heights ≥ t) + 1 (sklearn's distance_threshold rule); k-means on X from the
    /// means of the k Ward clusters; samples with ‖x − c‖² ≥ r² are outliers; clusters with fewer than MinSize
    /// remaining members are dropped; each survivor's v = mean / ‖mean‖ (a cluster whose mean is 0 is dropped too);
    /// every row of <paramref name="pooled"/> is scored by ⟨a(x), v⟩ and the ScoreTop best are kept. t and r are
    /// <see cref="ConceptOptions.Cut"/> and <see cref="ConceptOptions.Outlier"/> resolved against the lower quartile of the
    /// pairwise distances of X (<see cref="PairwiseScale"/>).</remarks>
    /// <param name="pooled">Pooled vectors of every input [N, C] (GAP, as the authors).</param>
    /// <param name="topRows">Rows of the neuron's top inputs, best first.</param>
    /// <param name="options">Thresholds and sizes.</param>
    /// <param name="labels">Optional class label per row of <paramref name="pooled"/>, for label entropies.</param>
    /// <param name="cancellationToken">Cancels the clustering.</param>
    /// <exception cref="ArgumentException">pooled is not 2-D or holds NaN/Inf; a row is out of range or repeated;
    /// labels do not cover every row; MinSize, MaxIterations or ScoreTop &lt; 1; a threshold that is not positive.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static ConceptResult Analyse(Tensor pooled, ReadOnlySpan<int> topRows, ConceptOptions options, IReadOnlyList<int>? labels = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        (int n, int c) = Shape(pooled);
        Validate(options);
        if (labels is not null && labels.Count != n)
            throw new ArgumentException($"{Op}: {labels.Count} labels for pooled [{n}, {c}].", nameof(labels));
        var seen = new HashSet<int>();
        foreach (int r in topRows)
        {
            if ((uint)r >= (uint)n) throw new ArgumentException($"{Op}: top row {r} outside pooled [{n}, {c}].", nameof(topRows));
            if (!seen.Add(r)) throw new ArgumentException($"{Op}: top row {r} appears twice.", nameof(topRows));
        }
        int m = topRows.Length;
        int[] rows = topRows.ToArray();
        ReadOnlySpan<float> all = pooled.Data;
        var x = new float[m * c];
        for (int i = 0; i < m; i++) all.Slice(rows[i] * c, c).CopyTo(x.AsSpan(i * c, c));
        if (!TensorPrimitives.IsFiniteAll<float>(x))
            throw new ArgumentException($"{Op}: the pooled vectors of the top inputs hold NaN or ±Inf.", nameof(pooled));
        double? rawEntropy = labels is null ? null : LabelEntropy.Bits(rows, labels);

        double scale = PairwiseScale(x, m, c);
        double cut = options.Cut.Resolve(scale), radius = options.Outlier.Resolve(scale);
        if (m == 0)
            return new ConceptResult(rows, null, scale, cut, radius, [], [], new Polysemanticity(0, 0, 0), rawEntropy);

        Dendrogram? tree = m >= 2 ? Agglomerative.Fit(x, m, c, Linkage.Ward, DistanceMetric.Euclidean, cancellationToken) : null;
        // All top inputs identical (scale 0, e.g. a dead layer): a relative cut of 0 would undo every merge.
        int k = tree is null || !(cut > 0) ? 1 : tree.ClusterCountAt(cut);
        int[] ward = k == 1 ? new int[m] : tree!.CutCount(k);
        KMeansResult km = KMeans.Fit(x, m, c, new KMeansOptions
        {
            K = k, Restarts = 1, MaxIterations = options.MaxIterations, InitialCentroids = Means(x, c, ward, k),
        }, cancellationToken);

        // Outliers (authors: squared distance ≥ threshold, strict < keeps), then clusters below MinSize.
        int[] kept = new int[m];
        var sizes = new int[k];
        double r2 = radius * radius;
        for (int i = 0; i < m; i++)
        {
            int j = km.Labels[i];
            double d2 = 0;
            for (int f = 0; f < c; f++)
            {
                double t = (double)x[i * c + f] - km.Centroids[j, f];
                d2 += t * t;
            }
            // A radius of 0 (relative to a scale of 0: all top inputs identical) removes nothing.
            kept[i] = r2 > 0 && d2 >= r2 ? -1 : j;
            if (kept[i] >= 0) sizes[j]++;
        }
        var concepts = new List<(int Cluster, int[] Members, float[] Vector)>();
        for (int j = 0; j < k; j++)
        {
            if (sizes[j] < options.MinSize) continue;
            int[] members = Enumerable.Range(0, m).Where(i => kept[i] == j).ToArray();
            float[]? v = UnitMean(x, c, members);
            if (v is not null) concepts.Add((j, members, v));
        }
        // Largest first; equal sizes in the order of their best-ranked member.
        concepts.Sort((a, b) => a.Members.Length != b.Members.Length ? b.Members.Length.CompareTo(a.Members.Length) : a.Members[0].CompareTo(b.Members[0]));

        int[] labelsOut = new int[m];
        Array.Fill(labelsOut, -1);
        var result = new Concept[concepts.Count];
        for (int id = 0; id < concepts.Count; id++)
        {
            (_, int[] members, float[] v) = concepts[id];
            foreach (int i in members) labelsOut[i] = id;
            var scores = new float[n];
            for (int i = 0; i < n; i++) scores[i] = TensorPrimitives.Dot(all.Slice(i * c, c), v);
            int[] best = Best(scores, Math.Min(options.ScoreTop, n));
            result[id] = new Concept(id, members.Select(i => rows[i]).ToArray(), (double)members.Length / m, v, best,
                best.Select(i => scores[i]).ToArray(), labels is null ? null : LabelEntropy.Bits(best, labels));
        }
        double separation = tree is null || !(scale > 0) ? 0 : tree.Heights[^1] / scale;
        return new ConceptResult(rows, tree, scale, cut, radius, labelsOut, result,
            new Polysemanticity(result.Length, EffectiveCount(result.Select(r => r.Size)), separation), rawEntropy);
    }

    /// <summary>exp(H) of the size distribution: the effective number of concepts (0 for none).</summary>
    internal static double EffectiveCount(IEnumerable<int> sizes)
    {
        int[] s = sizes.Where(v => v > 0).ToArray();
        if (s.Length == 0) return 0;
        double total = s.Sum(), h = 0;
        foreach (int v in s) h -= v / total * Math.Log(v / total);
        return Math.Exp(h);
    }

    /// <summary>Lower quartile of the pairwise Euclidean distances between the m rows of x (0 for fewer than 2 rows),
    /// with NumPy's default linear interpolation (<c>np.percentile(pdist(x), 25)</c>).</summary>
    /// <remarks>The lower quartile rather than the median: when the top inputs form 2-3 groups, more than a quarter of
    /// all pairs lie within a group, so the scale stays a within-group distance however far apart the groups are. The
    /// median becomes a between-group distance for two balanced groups, which caps the relative top height at √(N/2).</remarks>
    internal static double PairwiseScale(ReadOnlySpan<float> x, int m, int c)
    {
        if (m < 2) return 0;
        double[] d = Distances.Condensed(DataMatrix.From(x, m, c, Op), DistanceMetric.Euclidean, Op);
        Array.Sort(d);
        double pos = 0.25 * (d.Length - 1);
        int lo = (int)Math.Floor(pos);
        return lo + 1 < d.Length ? d[lo] + (pos - lo) * (d[lo + 1] - d[lo]) : d[lo];
    }

    private static float[,] Means(float[] x, int c, int[] labels, int k)
    {
        var sum = new double[k, c];
        var count = new int[k];
        for (int i = 0; i < labels.Length; i++)
        {
            count[labels[i]]++;
            for (int f = 0; f < c; f++) sum[labels[i], f] += x[i * c + f];
        }
        var means = new float[k, c];
        for (int j = 0; j < k; j++)
            for (int f = 0; f < c; f++) means[j, f] = (float)(sum[j, f] / count[j]);
        return means;
    }

    private static float[]? UnitMean(float[] x, int c, int[] members)
    {
        var mean = new double[c];
        foreach (int i in members)
            for (int f = 0; f < c; f++) mean[f] += x[i * c + f];
        double norm = 0;
        for (int f = 0; f < c; f++) norm += mean[f] * mean[f];
        norm = Math.Sqrt(norm);
        if (!(norm > 0)) return null;
        var v = new float[c];
        for (int f = 0; f < c; f++) v[f] = (float)(mean[f] / norm);
        return v;
    }

    /// <summary>Indices of the k largest values, best first, ties to the lower index.</summary>
    private static int[] Best(float[] values, int k)
    {
        int[] order = Enumerable.Range(0, values.Length).ToArray();
        Array.Sort(order, (a, b) => values[a] != values[b] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        return order[..Math.Min(k, order.Length)];
    }

    private static (int N, int C) Shape(Tensor pooled)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        if (pooled.Shape.Length != 2)
            throw new ArgumentException($"{Op}: pooled vectors must be [N, C], got [{string.Join(", ", pooled.Shape.ToArray())}].", nameof(pooled));
        return (pooled.Shape[0], pooled.Shape[1]);
    }

    private static void Validate(ConceptOptions o)
    {
        if (o.MinSize < 1) throw new ArgumentException($"{Op}: MinSize = {o.MinSize}; at least 1 is needed.", nameof(o));
        if (o.MaxIterations < 1) throw new ArgumentException($"{Op}: MaxIterations = {o.MaxIterations}; at least 1 is needed.", nameof(o));
        if (o.ScoreTop < 1) throw new ArgumentException($"{Op}: ScoreTop = {o.ScoreTop}; at least 1 is needed.", nameof(o));
        if (!(o.Cut.Value > 0)) throw new ArgumentException($"{Op}: cut {o.Cut} must be positive.", nameof(o));
        if (!(o.Outlier.Value > 0)) throw new ArgumentException($"{Op}: outlier radius {o.Outlier} must be positive.", nameof(o));
    }
}
