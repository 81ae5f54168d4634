// A token window around an example's key token inside an EmbedRecord, with the neuron's activation on each token.

namespace Unravel.Atlas.Methods;

/// <summary>Tokens from 20 before to 10 after the key token.</summary>
/// <param name="Input">Dataset index of the window.</param>
/// <param name="Key">Index of the key token within <paramref name="Tokens"/>.</param>
/// <param name="Tokens">The token texts.</param>
/// <param name="Activations">The neuron's activation on each token.</param>
public sealed record EmbedWindowRecord(long Input, int Key, string[] Tokens, float[] Activations);
