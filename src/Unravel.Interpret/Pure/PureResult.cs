// PURE's result for a set of neurons of one layer.

namespace Unravel.Interpret.Pure;

/// <summary>Virtual neurons of the analysed neurons, and how the circuits were computed.</summary>
/// <param name="Options">The options used.</param>
/// <param name="Neurons">One result per requested neuron, in request order.</param>
/// <param name="Circuits">The circuit pass (pairs, timing, sub-network or full replay).</param>
public sealed record PureResult(PureOptions Options, IReadOnlyList<PureNeuronResult> Neurons, CircuitResult Circuits);
