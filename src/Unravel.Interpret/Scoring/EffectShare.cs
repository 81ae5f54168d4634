// The measurement behind "the highest activations carry only a small part of a neuron's causal effect" (Oikarinen &
// Weng 2024, ICML, §2 / Table 1): ablate the neuron (zero it) for every input, take each input's impact
//   e_i = ½[(acc_i − acc_i^abl)/Σ_j acc_j + (ℓ_i^abl − ℓ_i)/Σ_j ℓ_j]
// (its share of the drop in accuracy and of the rise in loss, averaged), sort the inputs by the neuron's activation and
// report which share of Σ|e| the top fraction f of inputs holds (the authors use f = 0.03 %, 0.2 %, 0.5 %, 2 %, 10 %,
// 50 %), and how Σ|e| splits over the ranges between those fractions.

namespace Unravel.Interpret.Scoring;

/// <summary>Share of a neuron's ablation effect by activation rank.</summary>
public static class EffectShare
{
    /// <summary>The authors' top fractions.</summary>
    public static IReadOnlyList<double> DefaultFractions { get; } = [0.0003, 0.002, 0.005, 0.02, 0.1, 0.5];

    /// <summary>Per-input impact e_i from correctness and loss before and after the ablation.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static double[] Impact(ReadOnlySpan<double> accuracy, ReadOnlySpan<double> ablatedAccuracy, ReadOnlySpan<double> loss, ReadOnlySpan<double> ablatedLoss)
    {
        int n = accuracy.Length;
        if (ablatedAccuracy.Length != n || loss.Length != n || ablatedLoss.Length != n)
            throw new ArgumentException($"effect share: lengths {n}, {ablatedAccuracy.Length}, {loss.Length}, {ablatedLoss.Length} differ.", nameof(accuracy));
        double accSum = 0, lossSum = 0;
        for (int i = 0; i < n; i++)
        {
            accSum += accuracy[i];
            lossSum += loss[i];
        }
        var e = new double[n];
        for (int i = 0; i < n; i++)
            e[i] = 0.5 * ((accSum > 0 ? (accuracy[i] - ablatedAccuracy[i]) / accSum : 0) + (lossSum > 0 ? (ablatedLoss[i] - loss[i]) / lossSum : 0));
        return e;
    }

    /// <summary>Σ_{top f}|e| / Σ|e| for each fraction f (top = the round(f·N) inputs with the largest activation, ties to
    /// the lower index; at least one input).</summary>
    /// <exception cref="ArgumentException">Lengths differ or a fraction is outside (0, 1].</exception>
    public static double[] TopShares(ReadOnlySpan<float> activation, ReadOnlySpan<double> effect, IReadOnlyList<double> fractions)
        => Cumulative(activation, effect, fractions, out _);

    /// <summary>The share of Σ|e| in each activation-rank range: (0, f₁], (f₁, f₂], …, (f_last, 1]; sums to 1.</summary>
    /// <exception cref="ArgumentException">Lengths differ, a fraction is outside (0, 1], or fractions do not increase.</exception>
    public static double[] RangeShares(ReadOnlySpan<float> activation, ReadOnlySpan<double> effect, IReadOnlyList<double> fractions)
    {
        double[] top = Cumulative(activation, effect, fractions, out double total);
        var ranges = new double[top.Length + 1];
        double previous = 0;
        for (int i = 0; i < top.Length; i++)
        {
            if (i > 0 && fractions[i] <= fractions[i - 1])
                throw new ArgumentException("effect share: fractions must increase for ranges.", nameof(fractions));
            ranges[i] = top[i] - previous;
            previous = top[i];
        }
        ranges[^1] = total > 0 ? 1 - previous : 0;
        return ranges;
    }

    private static double[] Cumulative(ReadOnlySpan<float> activation, ReadOnlySpan<double> effect, IReadOnlyList<double> fractions, out double total)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        int n = activation.Length;
        if (effect.Length != n || n == 0) throw new ArgumentException($"effect share: {n} activations and {effect.Length} effects.", nameof(effect));
        float[] a = activation.ToArray();
        int[] order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (x, y) => a[x] != a[y] ? a[y].CompareTo(a[x]) : x.CompareTo(y));
        var prefix = new double[n + 1];
        for (int i = 0; i < n; i++) prefix[i + 1] = prefix[i] + Math.Abs(effect[order[i]]);
        total = prefix[n];
        var shares = new double[fractions.Count];
        for (int f = 0; f < fractions.Count; f++)
        {
            double fr = fractions[f];
            if (!(fr > 0 && fr <= 1)) throw new ArgumentException($"effect share: fraction {fr} is outside (0, 1].", nameof(fractions));
            int k = Math.Clamp((int)Math.Round(fr * n), 1, n);
            shares[f] = total > 0 ? prefix[k] / total : 0;
        }
        return shares;
    }
}
