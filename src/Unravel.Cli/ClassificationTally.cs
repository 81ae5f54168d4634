// Counts of a labelled batch run: top-1 and top-5 hits and the confusion matrix (rows: true class, columns: predicted).

namespace Unravel.Cli;

internal sealed class ClassificationTally(int classes)
{
    public int Classes { get; } = classes;

    public int Count { get; private set; }

    public int Top1 { get; private set; }

    public int Top5 { get; private set; }

    /// <summary>[true, predicted] counts, row-major [Classes, Classes].</summary>
    public long[] Confusion { get; } = new long[(long)classes * classes];

    public double Accuracy => Count == 0 ? double.NaN : (double)Top1 / Count;

    public double Top5Accuracy => Count == 0 ? double.NaN : (double)Top5 / Count;

    /// <summary>Adds one input: its label and its classes ranked by probability (best first, at least 5 or all).</summary>
    public void Add(int label, ReadOnlySpan<int> ranked)
    {
        Count++;
        if (ranked[0] == label) Top1++;
        if (ranked[..Math.Min(5, ranked.Length)].Contains(label)) Top5++;
        Confusion[(long)label * Classes + ranked[0]]++;
    }

    /// <summary>Class ids of <paramref name="probs"/> ranked by probability, ties by id; the first <paramref name="k"/>.</summary>
    public static int[] Rank(ReadOnlySpan<float> probs, int k)
    {
        var ids = new int[probs.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = i;
        float[] p = probs.ToArray();
        Array.Sort(ids, (a, b) => p[b].CompareTo(p[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return ids[..Math.Min(k, ids.Length)];
    }
}
