// One axis of a ReceptiveField: size, jump and offset of the windows of a hook point's units in input pixels.

namespace Unravel.Interpret.Collection;

/// <summary>Receptive field along one image axis.</summary>
/// <param name="Size">Input pixels one unit sees (before clipping at the border).</param>
/// <param name="Jump">Input pixels between neighbouring units.</param>
/// <param name="Offset">First input pixel of unit 0's window (negative when it starts in the padding).</param>
/// <param name="Input">Input length along this axis.</param>
/// <param name="Output">Units along this axis at the hook.</param>
public readonly record struct ReceptiveFieldAxis(int Size, int Jump, int Offset, int Input, int Output)
{
    /// <summary>Centre of unit 0's window in input pixel coordinates (pixel i has centre i).</summary>
    public double Start => Offset + (Size - 1) / 2.0;

    /// <summary>The window of unit <paramref name="unit"/> clipped to the input: first pixel and length (≥ 1).</summary>
    public (int First, int Length) Window(int unit)
    {
        int first = Offset + unit * Jump;
        int lo = Math.Clamp(first, 0, Input - 1), hi = Math.Clamp(first + Size, lo + 1, Input);
        return (lo, hi - lo);
    }
}
