// Image16: a 16-bit raster, what Png.Decode16 returns so that 16-bit PNG samples survive exactly. To8Bit turns it
// into an Image the way Pillow would (or by one of the other documented rules).

namespace Unravel.IO.Images;

/// <summary>A 16-bit image: HWC samples in 0..65535 with 1 to 4 channels (as <see cref="Image"/>).</summary>
public sealed class Image16
{
    /// <summary>Wraps <paramref name="pixels"/> (HWC, row-major) without copying.</summary>
    /// <exception cref="ArgumentException">A dimension is not positive, the channel count is not 1 to 4, or the
    /// array length is not width × height × channels.</exception>
    public Image16(int width, int height, int channels, ushort[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Image16: size {width}x{height} must be positive.", nameof(width));
        if (channels is < 1 or > 4)
            throw new ArgumentException($"Image16: {channels} channels; expected 1 to 4.", nameof(channels));
        if ((long)width * height * channels != pixels.Length)
            throw new ArgumentException(
                $"Image16: {pixels.Length} samples cannot hold {width}x{height}x{channels}.", nameof(pixels));
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA.</summary>
    public int Channels { get; }

    /// <summary>The samples, HWC row-major.</summary>
    public ushort[] Pixels { get; }

    /// <summary>Converts to 8 bits per sample.</summary>
    /// <remarks>
    /// <see cref="SixteenBitConversion.Pil"/> is what <c>Image.open(f).convert("RGB")</c> gives in Pillow 9: gray
    /// (Pillow mode "I") saturates at 255, every other layout keeps the high byte. Alpha always keeps the high
    /// byte.
    /// </remarks>
    public Image To8Bit(SixteenBitConversion conversion = SixteenBitConversion.Pil)
    {
        byte[] dst = new byte[Pixels.Length];
        ReadOnlySpan<ushort> src = Pixels;
        bool saturateGray = conversion == SixteenBitConversion.Pil && Channels == 1;
        for (int i = 0; i < src.Length; i++)
        {
            int v = src[i];
            bool alpha = Channels is 2 or 4 && i % Channels == Channels - 1;
            dst[i] = alpha ? (byte)(v >> 8) : conversion switch
            {
                SixteenBitConversion.Round => (byte)((v * 255 + 32767) / 65535),
                _ when saturateGray => (byte)Math.Min(v, 255),
                _ => (byte)(v >> 8),
            };
        }
        return new Image(Width, Height, Channels, dst);
    }

    public override string ToString() => $"Image16 {Width}x{Height}x{Channels}";
}
