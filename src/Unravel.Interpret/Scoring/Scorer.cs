// Correlation scoring of explanations on held-out rows (Oikarinen & Weng 2024, ICML, §4.1: per-neuron Pearson r on the
// 20 % test split; Bills et al. 2023: for language models the correlation is pooled over every token of the scored
// excerpts, not averaged per excerpt; a DataSplit over token windows gives exactly that).

using Unravel.Interpret.LinearExplanations;
using Unravel.Tensors;

namespace Unravel.Interpret.Scoring;

/// <summary>Scores simulators against real activations.</summary>
public static class Scorer
{
    /// <summary>Pearson r of <paramref name="simulator"/>'s predictions with column <paramref name="neuron"/> of
    /// <paramref name="activations"/> [rows, K], on the split's test and val rows.</summary>
    /// <exception cref="ArgumentException">Activations are not 2-D, the neuron is out of range, or a split row is outside them.</exception>
    public static SimulationScore Score(ISimulator simulator, Tensor activations, int neuron, DataSplit split)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(split);
        if (activations.Shape.Length != 2 || (uint)neuron >= (uint)activations.Shape[1])
            throw new ArgumentException($"score: neuron {neuron} is not a column of activations [{string.Join(", ", activations.Shape.ToArray())}].", nameof(neuron));
        float[] column = Column(activations, neuron);
        double test = Correlation.Pearson(Predict(simulator, split.Test), Gather(column, split.Test));
        double val = Correlation.Pearson(Predict(simulator, split.Val), Gather(column, split.Val));
        return new SimulationScore(simulator.Name, neuron, double.IsNaN(test) ? 0 : test, double.IsNaN(val) ? 0 : val, split.Test.Length, double.IsNaN(test));
    }

    /// <summary>Predictions for <paramref name="rows"/>.</summary>
    public static double[] Predict(ISimulator simulator, ReadOnlySpan<int> rows)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        var p = new double[rows.Length];
        simulator.Predict(rows, p);
        return p;
    }

    /// <summary>Column <paramref name="neuron"/> of activations [rows, K].</summary>
    /// <exception cref="ArgumentException">Not 2-D or the neuron is out of range.</exception>
    public static float[] Column(Tensor activations, int neuron)
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.Shape.Length != 2 || (uint)neuron >= (uint)activations.Shape[1])
            throw new ArgumentException($"score: neuron {neuron} is not a column of activations [{string.Join(", ", activations.Shape.ToArray())}].", nameof(neuron));
        int n = activations.Shape[0], k = activations.Shape[1];
        ReadOnlySpan<float> a = activations.Data;
        var c = new float[n];
        for (int i = 0; i < n; i++) c[i] = a[i * k + neuron];
        return c;
    }

    internal static float[] Gather(float[] column, ReadOnlySpan<int> rows)
    {
        var g = new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)column.Length) throw new ArgumentException($"score: split row {rows[i]} outside the {column.Length} rows.", nameof(rows));
            g[i] = column[rows[i]];
        }
        return g;
    }
}
