// One example whose token importance is wanted (A. Foote 2024, arXiv 2411.08166, §4.1.1).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>A token window, the key position and the neuron.</summary>
/// <param name="Tokens">[T] the window.</param>
/// <param name="Position">The key token.</param>
/// <param name="Neuron">The neuron of the layer being explained.</param>
public sealed record TokenImportanceRequest(int[] Tokens, int Position, int Neuron);
