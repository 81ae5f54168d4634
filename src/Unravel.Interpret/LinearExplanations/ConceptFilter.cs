// The concept filter of linear explanations (Oikarinen & Weng 2024, §3 and the authors' explain step): keep a concept
// only if it is confidently present somewhere (mean of its 5 largest values ≥ 0.5) and not constant (std ≥ 1e-5),
// both over the whole probe set. It drops, for example, a superclass that covers every class ("entity").

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Drops concepts that are never confidently present or that are constant.</summary>
public static class ConceptFilter
{
    /// <summary>Columns of <paramref name="p"/> that pass, in order.</summary>
    /// <remarks>Effectively computes, per column j: mean(top-<paramref name="top"/> of P[:, j]) ≥ <paramref name="minTopMean"/>
    /// and std(P[:, j]) ≥ <paramref name="minStd"/> (population std; the threshold is far below any real concept's spread).</remarks>
    /// <exception cref="ArgumentException">top &lt; 1.</exception>
    public static int[] Keep(ConceptMatrix p, int top = 5, double minTopMean = 0.5, double minStd = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (top < 1) throw new ArgumentException($"concept filter: top = {top}; at least 1 is needed.", nameof(top));
        int n = p.Rows, m = p.Columns;
        var keep = new List<int>();
        var column = new float[n];
        for (int j = 0; j < m; j++)
        {
            double sum = 0, sq = 0;
            for (int i = 0; i < n; i++)
            {
                float v = p[i, j];
                column[i] = v;
                sum += v;
            }
            double mean = n > 0 ? sum / n : 0;
            for (int i = 0; i < n; i++) sq += (column[i] - mean) * (column[i] - mean);
            double std = n > 0 ? Math.Sqrt(sq / n) : 0;
            Array.Sort(column);
            int k = Math.Min(top, n);
            double topSum = 0;
            for (int i = n - k; i < n; i++) topSum += column[i];
            if (k > 0 && topSum / k >= minTopMean && std >= minStd) keep.Add(j);
        }
        return keep.ToArray();
    }

    /// <summary>The matrix restricted to the concepts that pass <see cref="Keep"/>.</summary>
    public static ConceptMatrix Apply(ConceptMatrix p, int top = 5, double minTopMean = 0.5, double minStd = 1e-5)
    {
        int[] keep = Keep(p, top, minTopMean, minStd);
        return keep.Length == p.Columns ? p
            : p.Select(keep, $"filter top-{top} mean ≥ {minTopMean}, std ≥ {minStd:g}: kept {keep.Length} of {p.Columns}");
    }
}
