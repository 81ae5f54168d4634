// One explained neuron in the explain stage's result.

using Unravel.Atlas.Methods;

namespace Unravel.Atlas.Stages;

/// <summary>A neuron's stored explanation and its file.</summary>
/// <param name="Neuron">Neuron index.</param>
/// <param name="Record">The record of this run's concept set.</param>
/// <param name="File">Its file in the atlas.</param>
/// <param name="All">Every explanation the file now holds, this run's set among the neuron's other concept sets.</param>
public sealed record ExplainNeuron(int Neuron, ExplanationRecord Record, string File, ExplanationsRecord All);
