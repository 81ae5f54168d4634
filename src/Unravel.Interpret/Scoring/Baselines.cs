// Baseline explanations scored like every other (Oikarinen & Weng 2024, ICML, §4.1 compare against Network Dissection,
// Bau et al. 2017, whose explanation is one concept): (1) the best single concept, chosen by validation correlation and
// weighted by least squares on train; (2) the most frequent label among the neuron's top-k train activations, simulated
// as the indicator of that label.

using Unravel.Interpret.LinearExplanations;
using Unravel.Tensors;

namespace Unravel.Interpret.Scoring;

/// <summary>Single-concept and top-label baselines.</summary>
public static class Baselines
{
    /// <summary>The concept with the highest validation correlation with the neuron, as a one-term linear explanation
    /// (weight and bias by least squares on train). Empty (bias = train mean) when no concept correlates positively.</summary>
    /// <exception cref="ArgumentException">Rows do not match or the neuron is out of range.</exception>
    public static LinearExplanation BestSingleConcept(ConceptMatrix concepts, Tensor activations, int neuron, DataSplit split)
    {
        ArgumentNullException.ThrowIfNull(concepts);
        ArgumentNullException.ThrowIfNull(split);
        float[] q = Scorer.Column(activations, neuron);
        if (q.Length != concepts.Rows)
            throw new ArgumentException($"score: activations have {q.Length} rows, the concept matrix {concepts.Rows}.", nameof(activations));
        float[] qVal = Scorer.Gather(q, split.Val);
        int best = -1;
        double bestR = 0;
        var col = new double[split.Val.Length];
        for (int j = 0; j < concepts.Columns; j++)
        {
            for (int i = 0; i < col.Length; i++) col[i] = concepts[split.Val[i], j];
            double r = Correlation.PearsonOrZero(col, qVal);
            if (r > bestR)
            {
                bestR = r;
                best = j;
            }
        }
        double meanTrain = split.Train.Average(i => (double)q[i]);
        if (best < 0) return new LinearExplanation(neuron, [], meanTrain, 0);
        double mx = split.Train.Average(i => (double)concepts[i, best]), sxy = 0, sxx = 0;
        foreach (int i in split.Train)
        {
            double dx = concepts[i, best] - mx;
            sxy += dx * (q[i] - meanTrain);
            sxx += dx * dx;
        }
        double w = sxx > 0 ? sxy / sxx : 0;
        return new LinearExplanation(neuron, [new ExplanationTerm(concepts.Names[best], best, w)], meanTrain - w * mx, bestR);
    }

    /// <summary>The most frequent label among the <paramref name="top"/> train rows with the largest activation (ties:
    /// the lower label), and a simulator predicting 1 for rows with that label and 0 otherwise.</summary>
    /// <exception cref="ArgumentException">Labels do not cover the rows, top &lt; 1, or the neuron is out of range.</exception>
    public static (int Label, ISimulator Simulator) TopLabel(IReadOnlyList<int> labels, Tensor activations, int neuron, DataSplit split, int top = 50)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(split);
        float[] q = Scorer.Column(activations, neuron);
        if (labels.Count != q.Length) throw new ArgumentException($"score: {labels.Count} labels for {q.Length} rows.", nameof(labels));
        if (top < 1) throw new ArgumentException($"score: top = {top}; at least 1 is needed.", nameof(top));
        int[] order = split.Train.ToArray();
        Array.Sort(order, (a, b) => q[a] != q[b] ? q[b].CompareTo(q[a]) : a.CompareTo(b));
        int label = order.Take(top).GroupBy(r => labels[r]).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        int[] indicator = labels.Select(l => l == label ? 1 : 0).ToArray();
        return (label, new ClusterSimulator(indicator, [0, 1], "top-label"));
    }
}
