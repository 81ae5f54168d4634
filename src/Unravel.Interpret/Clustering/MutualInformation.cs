// Normalized mutual information between two flat clusterings (Strehl & Ghosh 2002, "Cluster ensembles"; arithmetic
// normalisation as in Vinh, Epps & Bailey 2010), computed as sklearn.metrics.normalized_mutual_info_score does.

namespace Unravel.Interpret.Clustering;

/// <summary>Mutual information between two labelings of the same samples.</summary>
public static class MutualInformation
{
    private const string Op = "mutual_information";

    /// <summary>numpy.finfo(float64).eps, below which scikit-learn zeroes a cell's term.</summary>
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>The normalized mutual information MI(a, b) / ((H(a) + H(b)) / 2), natural logarithms.</summary>
    /// <remarks>Effectively computes <c>sklearn.metrics.normalized_mutual_info_score(a, b)</c> (average_method
    /// "arithmetic"): 1 when both labelings have one label (or no samples), 0 when the mutual information is 0, and
    /// per-cell terms below machine epsilon count as 0, as there. Label values are arbitrary integers.</remarks>
    /// <exception cref="ArgumentException">The labelings have different lengths.</exception>
    public static double Normalized(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"{Op}: labelings have {a.Length} and {b.Length} samples; they must match.", nameof(b));
        int[] da = AdjustedRand.Densify(a, out int ka), db = AdjustedRand.Densify(b, out int kb);
        if (ka == kb && ka <= 1) return 1.0;
        double mi = Mutual(da, ka, db, kb);
        if (mi == 0) return 0.0;
        double normalizer = (Entropy(da, ka) + Entropy(db, kb)) / 2;
        return mi / Math.Max(normalizer, double.Epsilon);
    }

    /// <summary>The mutual information MI(a, b) in nats (sklearn.metrics.mutual_info_score).</summary>
    /// <exception cref="ArgumentException">The labelings have different lengths.</exception>
    public static double Score(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"{Op}: labelings have {a.Length} and {b.Length} samples; they must match.", nameof(b));
        int[] da = AdjustedRand.Densify(a, out int ka), db = AdjustedRand.Densify(b, out int kb);
        return Mutual(da, ka, db, kb);
    }

    private static double Mutual(int[] a, int ka, int[] b, int kb)
    {
        int n = a.Length;
        if (n == 0) return 0;
        var cells = new Dictionary<long, long>();
        var rows = new long[ka];
        var cols = new long[kb];
        for (int i = 0; i < n; i++)
        {
            long key = (long)a[i] * kb + b[i];
            cells[key] = cells.GetValueOrDefault(key) + 1;
            rows[a[i]]++;
            cols[b[i]]++;
        }
        double logN = Math.Log(n), mi = 0;
        foreach ((long key, long count) in cells.OrderBy(kv => kv.Key))
        {
            double p = (double)count / n;
            double logOuter = -Math.Log((double)rows[key / kb] * cols[key % kb]) + 2 * logN;
            double term = p * (Math.Log(count) - logN) + p * logOuter;
            if (Math.Abs(term) >= MachineEpsilon) mi += term;
        }
        return Math.Max(mi, 0);
    }

    private static double Entropy(int[] labels, int k)
    {
        int n = labels.Length;
        if (n == 0) return 1.0;
        var counts = new long[k];
        foreach (int l in labels) counts[l]++;
        double logN = Math.Log(n), h = 0;
        foreach (long c in counts) h -= (double)c / n * (Math.Log(c) - logN);
        return h;
    }
}
