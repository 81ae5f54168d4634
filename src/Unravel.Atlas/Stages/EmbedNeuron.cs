// One neuron's outcome of the neuron-embeddings stage, as the command renders it.

using Unravel.Atlas.Methods;
using Unravel.Interpret.NeuronEmbeddings;

namespace Unravel.Atlas.Stages;

/// <summary>A neuron's feature clusters.</summary>
/// <param name="Neuron">Neuron index.</param>
/// <param name="Result">The algorithm's result.</param>
/// <param name="Record">What was stored in the atlas.</param>
/// <param name="File">The result file written.</param>
public sealed record EmbedNeuron(int Neuron, NeuronEmbeddingResult Result, EmbedRecord Record, string File);
