// Label entropy of a set of inputs: the purity measure used to compare a neuron's top inputs with its concept vectors'
// top inputs (lower = purer).

namespace Unravel.Interpret.Concepts;

/// <summary>Shannon entropy of the class labels of a set of inputs.</summary>
public static class LabelEntropy
{
    /// <summary>Entropy in bits of the labels of <paramref name="rows"/>.</summary>
    /// <remarks>Effectively computes −Σ_c p_c log₂ p_c with p_c the fraction of rows whose label is c; 0 for an empty
    /// set or a single class, log₂ k for k equally frequent classes.</remarks>
    /// <param name="rows">Indices into <paramref name="labels"/>.</param>
    /// <param name="labels">Label of every row.</param>
    /// <exception cref="ArgumentOutOfRangeException">A row is outside <paramref name="labels"/>.</exception>
    public static double Bits(ReadOnlySpan<int> rows, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (rows.Length == 0) return 0;
        var counts = new Dictionary<int, int>();
        foreach (int r in rows)
        {
            if ((uint)r >= (uint)labels.Count)
                throw new ArgumentOutOfRangeException(nameof(rows), r, $"label entropy: row {r} but only {labels.Count} labels.");
            counts[labels[r]] = counts.GetValueOrDefault(labels[r]) + 1;
        }
        double h = 0;
        foreach (int c in counts.Values)
        {
            double p = (double)c / rows.Length;
            h -= p * Math.Log2(p);
        }
        return h;
    }
}
