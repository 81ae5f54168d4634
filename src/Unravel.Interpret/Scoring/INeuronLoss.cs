// The loss of a model as a function of one neuron's summary value, for the ablation score of Oikarinen & Weng 2024
// (ICML, §4.2 / App. B.5): replace the neuron's value on an input and read the network's loss on that input.

namespace Unravel.Interpret.Scoring;

/// <summary>Per-row loss with one neuron set to a value, and its derivative in that value.</summary>
public interface INeuronLoss
{
    /// <summary>Rows the loss is defined on.</summary>
    int Rows { get; }

    /// <summary>The loss on <paramref name="row"/> with the neuron's original value.</summary>
    double Original(int row);

    /// <summary>The loss on <paramref name="row"/> with the neuron set to <paramref name="value"/>, and dLoss/dvalue.</summary>
    (double Loss, double Gradient) Evaluate(int row, double value);
}
