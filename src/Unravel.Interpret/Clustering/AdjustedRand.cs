// Adjusted Rand index (Hubert & Arabie 1985, "Comparing partitions"), computed from the pair confusion matrix as in
// sklearn.metrics.adjusted_rand_score.

namespace Unravel.Interpret.Clustering;

/// <summary>Agreement between two flat clusterings, corrected for chance.</summary>
public static class AdjustedRand
{
    private const string Op = "adjusted_rand";

    /// <summary>The adjusted Rand index of two labelings of the same samples.</summary>
    /// <remarks>Effectively computes <c>sklearn.metrics.adjusted_rand_score(a, b)</c>: 1 for identical partitions (up to
    /// renaming the labels, and also for empty input), about 0 for independent ones, and possibly negative.
    /// Label values are arbitrary integers.</remarks>
    /// <exception cref="ArgumentException">The labelings have different lengths.</exception>
    public static double Index(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"{Op}: labelings have {a.Length} and {b.Length} samples; they must match.", nameof(b));
        int n = a.Length;
        int[] da = Densify(a, out int ka), db = Densify(b, out int kb);
        var contingency = new Dictionary<long, long>();
        for (int i = 0; i < n; i++)
        {
            long key = (long)da[i] * kb + db[i];
            contingency[key] = contingency.GetValueOrDefault(key) + 1;
        }
        var rowSums = new long[ka];
        var colSums = new long[kb];
        double sumSquares = 0;
        foreach ((long key, long count) in contingency)
        {
            rowSums[key / kb] += count;
            colSums[key % kb] += count;
            sumSquares += (double)count * count;
        }
        // Pair confusion matrix (ordered pairs, as scikit-learn): tp, fp, fn, tn.
        double sumRows = 0, sumCols = 0;
        foreach (long r in rowSums) sumRows += (double)r * r;
        foreach (long c in colSums) sumCols += (double)c * c;
        double tp = sumSquares - n;
        double fp = sumCols - sumSquares;
        double fn = sumRows - sumSquares;
        double tn = (double)n * n - fp - fn - sumSquares;
        if (fn == 0 && fp == 0) return 1.0;
        return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
    }

    /// <summary>Maps arbitrary label values to 0..k−1 in order of first appearance.</summary>
    internal static int[] Densify(ReadOnlySpan<int> labels, out int distinct)
    {
        var map = new Dictionary<int, int>();
        var dense = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (!map.TryGetValue(labels[i], out int d))
            {
                d = map.Count;
                map[labels[i]] = d;
            }
            dense[i] = d;
        }
        distinct = map.Count;
        return dense;
    }
}
