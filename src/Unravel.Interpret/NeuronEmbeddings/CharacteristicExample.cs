// One characteristic example of a neuron: an input and the key position where the neuron peaks on it
// (A. Foote 2024, arXiv 2411.08166, §3.1: the key token).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>An input of the dataset and the neuron's maximum over its positions.</summary>
/// <param name="Input">Dataset index (e.g. a token window).</param>
/// <param name="Position">The first position where the neuron reaches its maximum on this input (the key token).</param>
/// <param name="Activation">That maximum.</param>
public readonly record struct CharacteristicExample(long Input, int Position, float Activation);
