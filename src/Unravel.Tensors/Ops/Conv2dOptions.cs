// Attributes of a 2-D convolution, named and defaulted as in torch.nn.functional.conv2d.

namespace Unravel.Tensors;

/// <summary>Stride, padding, dilation and groups of <see cref="Ops.Conv2d(Tensor, Tensor, Tensor?, Conv2dOptions?)"/>.</summary>
/// <remarks>Pairs are (height, width). Defaults: stride 1, padding 0, dilation 1, one group.</remarks>
public sealed record Conv2dOptions
{
    /// <summary>The defaults (stride 1, no padding, no dilation, one group).</summary>
    public static Conv2dOptions Default { get; } = new();

    /// <summary>Step between neighbouring output positions, ≥ 1.</summary>
    public (int H, int W) Stride { get; init; } = (1, 1);

    /// <summary>Implicit zeros added on each side of the input, ≥ 0.</summary>
    public (int H, int W) Padding { get; init; } = (0, 0);

    /// <summary>Spacing between kernel taps, ≥ 1.</summary>
    public (int H, int W) Dilation { get; init; } = (1, 1);

    /// <summary>Number of channel groups; input and output channels must both be divisible by it.</summary>
    public int Groups { get; init; } = 1;
}
