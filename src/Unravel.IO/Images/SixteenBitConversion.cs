// How 16-bit samples become 8-bit ones (see Image16.To8Bit and PngDecodeOptions.SixteenBit).

namespace Unravel.IO.Images;

/// <summary>Rule for turning 16-bit samples into 8-bit ones.</summary>
public enum SixteenBitConversion
{
    /// <summary>Pillow 9's behaviour, so preprocessing matches torchvision on the same file: 16-bit gray opens as
    /// mode "I" and <c>convert("L"/"RGB")</c> saturates each value at 255 (most pixels turn white); 16-bit
    /// gray+alpha, RGB and RGBA keep the high byte.</summary>
    Pil,

    /// <summary>Keep the high byte (v >> 8) for every layout.</summary>
    HighByte,

    /// <summary>Rescale with rounding: (v·255 + 32767) / 65535.</summary>
    Round,
}
