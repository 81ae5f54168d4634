// The simulator of an explanation (Bills et al. 2023, "Language models can explain neurons in language models";
// Oikarinen & Weng 2024, §4.1): it turns an explanation into a predicted activation for inputs it never saw, so every
// method's explanation can be scored the same way against the real activations.

namespace Unravel.Interpret.Scoring;

/// <summary>Predicts a neuron's activation per row (an input, or a token) from an explanation.</summary>
public interface ISimulator
{
    /// <summary>Short name of the explanation kind, for tables ("linear", "concept-vectors", "pure", …).</summary>
    string Name { get; }

    /// <summary>Writes the predicted activation of each of <paramref name="rows"/> into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">A row is outside the data the simulator knows, or the lengths differ.</exception>
    void Predict(ReadOnlySpan<int> rows, Span<double> destination);
}
