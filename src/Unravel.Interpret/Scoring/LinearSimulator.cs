// Simulator of a linear explanation (Oikarinen & Weng 2024, ICML, §4.1): ŷ(x) = Σ_j w_j·P'[x, c_j] + b, where P' is
// the concept detector used for scoring. The authors deliberately score with a different detector than the one that
// built the explanation (SigLIP-SO400M vs SigLIP-L); here any concept matrix whose names cover the terms can be used.

using Unravel.Interpret.LinearExplanations;

namespace Unravel.Interpret.Scoring;

/// <summary>Weighted sum of the explanation's concepts, read from a concept matrix by name.</summary>
public sealed class LinearSimulator : ISimulator
{
    private readonly ConceptMatrix _p;
    private readonly int[] _columns;
    private readonly double[] _weights;
    private readonly double _bias;

    /// <summary>Binds the terms of <paramref name="explanation"/> to the columns of <paramref name="detector"/> with the same names.</summary>
    /// <exception cref="ArgumentException">A concept of the explanation is not a column of the detector.</exception>
    public LinearSimulator(LinearExplanation explanation, ConceptMatrix detector, string name = "linear")
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentNullException.ThrowIfNull(detector);
        _p = detector;
        _columns = explanation.Terms.Select(t =>
        {
            int c = detector.IndexOf(t.Concept);
            return c >= 0 ? c : throw new ArgumentException(
                $"score: concept '{t.Concept}' of neuron {explanation.Neuron} is not in the simulator's concept set ({detector.Provenance.Source}).", nameof(detector));
        }).ToArray();
        _weights = explanation.Terms.Select(t => t.Weight).ToArray();
        _bias = explanation.Bias;
        Name = name;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public void Predict(ReadOnlySpan<int> rows, Span<double> destination)
    {
        Checks.Lengths(rows, destination, _p.Rows);
        for (int i = 0; i < rows.Length; i++)
        {
            double s = _bias;
            for (int t = 0; t < _columns.Length; t++) s += _weights[t] * _p[rows[i], _columns[t]];
            destination[i] = s;
        }
    }
}
