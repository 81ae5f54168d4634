// One token of a reference window with a neuron's activation at it (for rendering text references).

namespace Unravel.Interpret.Collection;

/// <summary>A token of a window and the neuron's activation there.</summary>
/// <param name="Token">GPT-2 token id.</param>
/// <param name="Text">The token's text on its own (" world").</param>
/// <param name="Activation">The neuron's activation at this token.</param>
public readonly record struct TokenActivation(int Token, string Text, float Activation);
