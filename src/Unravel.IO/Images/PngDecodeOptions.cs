// Options for Png.Decode: whether tRNS becomes an alpha channel and how 16-bit samples become 8-bit.

namespace Unravel.IO.Images;

/// <summary>How <see cref="Png.Decode"/> maps a PNG onto an 8-bit <see cref="Image"/>.</summary>
public sealed record PngDecodeOptions
{
    /// <summary>Pillow-compatible defaults (no tRNS alpha, <see cref="SixteenBitConversion.Pil"/>).</summary>
    public static PngDecodeOptions Default { get; } = new();

    /// <summary>When true, a tRNS chunk adds an alpha channel: gray becomes gray + alpha, RGB and palette
    /// images become RGBA (as Pillow's <c>convert("LA"/"RGBA")</c>). When false (the default, as Pillow's
    /// <c>convert("RGB")</c>) tRNS is ignored. Files that already have alpha keep it either way.</summary>
    public bool ApplyTransparency { get; init; }

    /// <summary>How 16-bit samples become 8-bit ones.</summary>
    public SixteenBitConversion SixteenBit { get; init; } = SixteenBitConversion.Pil;
}
