// One explained neuron in the explain stage's result.

using Unravel.Atlas.Methods;

namespace Unravel.Atlas.Stages;

/// <summary>A neuron's stored explanation and its file.</summary>
/// <param name="Neuron">Neuron index.</param>
/// <param name="Record">The stored record.</param>
/// <param name="File">Its file in the atlas.</param>
public sealed record ExplainNeuron(int Neuron, ExplanationRecord Record, string File);
