// One neuron's outcome of the concepts stage, as the command renders it.

using Unravel.Atlas.Methods;
using Unravel.Interpret.Concepts;

namespace Unravel.Atlas.Stages;

/// <summary>A neuron's concept vectors.</summary>
/// <param name="Neuron">Neuron index.</param>
/// <param name="Result">The algorithm's result (rows index the pooled matrix).</param>
/// <param name="Record">What was stored in the atlas (dataset indices).</param>
/// <param name="File">The result file written.</param>
public sealed record ConceptsNeuron(int Neuron, ConceptResult Result, ConceptsRecord Record, string File);
