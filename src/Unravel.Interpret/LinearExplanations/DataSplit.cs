// The train/val/test split of linear explanations (Oikarinen & Weng 2024, §4): the probe inputs are shuffled and cut
// 70 % / 10 % / 20 %; train fits, val selects in the greedy search, test only scores. The authors shuffle without a
// seed and ship the indices; we seed the shuffle and record it. For text the unit is a token window, so no window
// contributes tokens to two splits.

namespace Unravel.Interpret.LinearExplanations;

/// <summary>A seeded split of rows into train, validation and test.</summary>
/// <param name="Seed">Seed of the shuffle.</param>
/// <param name="Units">Shuffled units (inputs, or token windows).</param>
/// <param name="RowsPerUnit">Rows per unit (1 for inputs; tokens per window for text).</param>
/// <param name="Train">Train rows, ascending.</param>
/// <param name="Val">Validation rows, ascending.</param>
/// <param name="Test">Test rows, ascending.</param>
public sealed record DataSplit(int Seed, int Units, int RowsPerUnit, int[] Train, int[] Val, int[] Test)
{
    /// <summary>70/10/20 over <paramref name="inputs"/> rows.</summary>
    /// <exception cref="ArgumentException">Fewer than 10 inputs (every split needs rows).</exception>
    public static DataSplit Create(int inputs, int seed) => ForWindows(inputs, 1, seed);

    /// <summary>70/10/20 over <paramref name="windows"/> windows of <paramref name="rowsPerWindow"/> consecutive rows
    /// (row = window · rowsPerWindow + position).</summary>
    /// <remarks>Effectively computes: shuffle 0 … windows−1 with <c>new Random(seed)</c>; the first ⌊0.7·W⌋ are train,
    /// the next ⌊0.1·W⌋ val, the rest test; each split expanded to its rows and sorted.</remarks>
    /// <exception cref="ArgumentException">Fewer than 10 windows, or rowsPerWindow &lt; 1.</exception>
    public static DataSplit ForWindows(int windows, int rowsPerWindow, int seed)
    {
        if (windows < 10) throw new ArgumentException($"split: {windows} units are too few for a 70/10/20 split (at least 10).", nameof(windows));
        if (rowsPerWindow < 1) throw new ArgumentException($"split: {rowsPerWindow} rows per unit.", nameof(rowsPerWindow));
        int[] order = Enumerable.Range(0, windows).ToArray();
        new Random(seed).Shuffle(order);
        int train = (int)((long)windows * 7 / 10), val = windows / 10;
        int[] Expand(ReadOnlySpan<int> units)
        {
            int[] u = units.ToArray();
            Array.Sort(u);
            var rows = new int[u.Length * rowsPerWindow];
            for (int i = 0; i < u.Length; i++)
                for (int t = 0; t < rowsPerWindow; t++) rows[i * rowsPerWindow + t] = u[i] * rowsPerWindow + t;
            return rows;
        }
        return new DataSplit(seed, windows, rowsPerWindow, Expand(order.AsSpan(0, train)), Expand(order.AsSpan(train, val)),
            Expand(order.AsSpan(train + val)));
    }

    /// <summary>Total rows (units × rows per unit).</summary>
    public int Rows => Units * RowsPerUnit;

    /// <summary>The same split with train and val reduced to their rows with the largest activation (the top
    /// <paramref name="fraction"/> of each, at least 2 rows); test unchanged. Fitting on it gives the "top activations
    /// only" explanation that Oikarinen &amp; Weng 2024 (§2) argue is not enough.</summary>
    /// <exception cref="ArgumentException">The fraction is outside (0, 1], or the activation does not cover the rows.</exception>
    public DataSplit TopOnly(ReadOnlySpan<float> activation, double fraction)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentException($"split: fraction {fraction} is outside (0, 1].", nameof(fraction));
        if (activation.Length < Rows) throw new ArgumentException($"split: {activation.Length} activations for {Rows} rows.", nameof(activation));
        float[] a = activation.ToArray();
        int[] Top(int[] rows)
        {
            int k = Math.Clamp((int)Math.Round(fraction * rows.Length), Math.Min(2, rows.Length), rows.Length);
            int[] sorted = rows.OrderByDescending(r => a[r]).ThenBy(r => r).Take(k).ToArray();
            Array.Sort(sorted);
            return sorted;
        }
        return this with { Train = Top(Train), Val = Top(Val) };
    }
}
