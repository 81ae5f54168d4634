// PNG scanline filter choice for Png.Encode.

namespace Unravel.IO.Images;

/// <summary>The scanline filter <see cref="Png.Encode"/> applies (PNG spec §9).</summary>
public enum PngFilter
{
    None = 0,
    Sub = 1,
    Up = 2,
    Average = 3,
    Paeth = 4,

    /// <summary>Per row, the filter whose output has the smallest sum of absolute values when read as signed
    /// bytes (the heuristic of libpng and the PNG spec's recommendation).</summary>
    Adaptive = 5,
}
