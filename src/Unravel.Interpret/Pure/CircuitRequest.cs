// One (neuron, input) pair whose PURE circuit is wanted.

namespace Unravel.Interpret.Pure;

/// <summary>A neuron of the analysed layer and a dataset input to compute its circuit on.</summary>
/// <param name="Neuron">Channel index in the analysed layer.</param>
/// <param name="Input">Dataset index.</param>
public readonly record struct CircuitRequest(int Neuron, long Input);
