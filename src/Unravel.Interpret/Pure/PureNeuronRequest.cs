// Which inputs PURE uses for one neuron: its references (clustered) and candidates (routed).

namespace Unravel.Interpret.Pure;

/// <summary>One neuron to split.</summary>
/// <param name="Neuron">Channel index in the analysed layer.</param>
/// <param name="References">The neuron's top-activating inputs (best first) whose circuits are clustered.</param>
/// <param name="Candidates">Further inputs to route to the virtual neurons (the references are always routed too).</param>
public sealed record PureNeuronRequest(int Neuron, IReadOnlyList<long> References, IReadOnlyList<long> Candidates);
