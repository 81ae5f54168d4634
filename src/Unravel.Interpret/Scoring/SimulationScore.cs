// The simulation score of one explanation (Oikarinen & Weng 2024, ICML, §4.1; Bills et al. 2023): Pearson r between the
// simulated and the real activation over the held-out test rows (inputs, or every token of the test windows, pooled).

namespace Unravel.Interpret.Scoring;

/// <summary>A neuron's explanation scored on a split.</summary>
/// <param name="Simulator">The simulator's name.</param>
/// <param name="Neuron">Neuron.</param>
/// <param name="TestCorrelation">Pearson r on the test rows (0 when undefined).</param>
/// <param name="ValCorrelation">Pearson r on the validation rows (0 when undefined).</param>
/// <param name="TestRows">Rows scored.</param>
/// <param name="Undefined">True when the test r was undefined (constant prediction or activation) and set to 0.</param>
public sealed record SimulationScore(string Simulator, int Neuron, double TestCorrelation, double ValCorrelation, int TestRows, bool Undefined);
