// Image: an 8-bit raster with 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA) interleaved channels, rows top to bottom (HWC),
// the in-memory form every codec and transform in this folder produces and consumes. The channel conversions
// reproduce Pillow's Image.convert (libImaging/Convert.c) so that a pipeline built on them matches torchvision.

namespace Unravel.IO.Images;

/// <summary>An 8-bit image: <see cref="Height"/> rows of <see cref="Width"/> pixels of <see cref="Channels"/>
/// interleaved samples (1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA).</summary>
public sealed class Image
{
    /// <summary>Wraps <paramref name="pixels"/> (HWC, row-major) without copying.</summary>
    /// <exception cref="ArgumentException">A dimension is not positive, the channel count is not 1 to 4, or the
    /// array length is not width × height × channels.</exception>
    public Image(int width, int height, int channels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Image: size {width}x{height} must be positive.", nameof(width));
        if (channels is < 1 or > 4)
            throw new ArgumentException($"Image: {channels} channels; expected 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA).", nameof(channels));
        if ((long)width * height * channels != pixels.Length)
            throw new ArgumentException(
                $"Image: {pixels.Length} bytes cannot hold {width}x{height}x{channels}.", nameof(pixels));
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>A black (zero) image.</summary>
    public static Image Create(int width, int height, int channels)
    {
        if (width <= 0 || height <= 0 || (long)width * height * channels > Array.MaxLength)
            throw new ArgumentException($"Image: size {width}x{height}x{channels} is not allocatable.", nameof(width));
        return new Image(width, height, channels, new byte[width * height * channels]);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA.</summary>
    public int Channels { get; }

    /// <summary>The samples, HWC row-major: sample c of pixel (x, y) is at (y·Width + x)·Channels + c.</summary>
    public byte[] Pixels { get; }

    public bool HasAlpha => Channels is 2 or 4;

    /// <summary>Sample <paramref name="c"/> of the pixel at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public byte this[int x, int y, int c] => Pixels[((y * Width) + x) * Channels + c];

    /// <summary>Reads a PNG or JPEG file, chosen by its first bytes (not its extension).</summary>
    /// <exception cref="CheckpointFormatException">The file is neither, or is malformed.</exception>
    public static Image Load(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        if (Png.IsPng(data))
            return Png.Decode(data, path);
        if (Jpeg.IsJpeg(data))
            return JpegDecoder.Decode(data, path);
        throw new CheckpointFormatException(path, "offset 0", "not a PNG or JPEG file (unknown signature)",
            "only PNG and baseline/progressive JPEG images are supported; convert other formats first");
    }

    /// <summary>Pillow's <c>convert("RGB")</c>: gray is replicated, alpha is dropped (not composited).</summary>
    /// <remarks>Returns this instance when it is already RGB.</remarks>
    public Image ToRgb()
    {
        if (Channels == 3)
            return this;
        byte[] dst = new byte[Width * Height * 3];
        ReadOnlySpan<byte> src = Pixels;
        int n = Width * Height, ch = Channels;
        for (int i = 0; i < n; i++)
        {
            int s = i * ch, d = i * 3;
            if (ch <= 2)
            {
                dst[d] = dst[d + 1] = dst[d + 2] = src[s];
            }
            else
            {
                dst[d] = src[s];
                dst[d + 1] = src[s + 1];
                dst[d + 2] = src[s + 2];
            }
        }
        return new Image(Width, Height, 3, dst);
    }

    /// <summary>Pillow's <c>convert("L")</c>: ITU-R 601-2 luma with Pillow's 16-bit fixed-point weights; alpha
    /// is dropped.</summary>
    /// <remarks>Effectively computes L = (19595·R + 38470·G + 7471·B + 0x8000) >> 16. Returns this instance when
    /// it is already gray.</remarks>
    public Image ToGray()
    {
        if (Channels == 1)
            return this;
        byte[] dst = new byte[Width * Height];
        ReadOnlySpan<byte> src = Pixels;
        int n = Width * Height, ch = Channels;
        for (int i = 0; i < n; i++)
        {
            int s = i * ch;
            dst[i] = ch == 2 ? src[s] : (byte)((src[s] * 19595 + src[s + 1] * 38470 + src[s + 2] * 7471 + 0x8000) >> 16);
        }
        return new Image(Width, Height, 1, dst);
    }

    /// <summary>A copy with its own pixel array.</summary>
    public Image Clone() => new(Width, Height, Channels, (byte[])Pixels.Clone());

    public override string ToString() => $"Image {Width}x{Height}x{Channels}";
}
