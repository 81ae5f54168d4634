// Where the neuron axis of a captured activation lies.

namespace Unravel.Interpret.Collection;

/// <summary>How an activation tensor maps to (input, neuron, position).</summary>
public enum ActivationLayout
{
    /// <summary>[N, C, H, W] (conv channels, positions = H·W, row-major) or [N, C] (one position).</summary>
    ChannelsFirst,

    /// <summary>[B, T, C] (transformer units, positions = tokens).</summary>
    ChannelsLast,
}
