// PNG entry points: decode (any colour type, bit depth and interlacing) to an 8-bit Image or an exact Image16,
// encode 8-bit images, and write files atomically. The work is in PngDecoder and PngEncoder.

using System.IO.Compression;

namespace Unravel.IO.Images;

/// <summary>Managed PNG codec.</summary>
public static class Png
{
    /// <summary>True when <paramref name="data"/> starts with the PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> data) => data.Length >= 8 && data[..8].SequenceEqual(PngDecoder.Signature);

    /// <summary>Reads and decodes a PNG file to 8 bits per sample.</summary>
    /// <exception cref="CheckpointFormatException">The file is not a valid PNG; the message names the file, the
    /// chunk and its byte offset.</exception>
    public static Image Read(string path, PngDecodeOptions? options = null) => Decode(File.ReadAllBytes(path), path, options);

    /// <summary>Decodes a PNG to 8 bits per sample, with Pillow's conventions by default.</summary>
    /// <remarks>Gray, gray + alpha, RGB and RGBA keep their channels (1, 2, 3, 4); palette images become RGB (RGBA
    /// with <see cref="PngDecodeOptions.ApplyTransparency"/> and a tRNS chunk). Gray depths below 8 are scaled to
    /// 0..255 (×255, ×85, ×17); 16-bit samples follow <see cref="PngDecodeOptions.SixteenBit"/>.</remarks>
    /// <param name="data">The file contents.</param>
    /// <param name="name">Used in error messages, usually the file path.</param>
    /// <param name="options">Defaults to <see cref="PngDecodeOptions.Default"/>.</param>
    /// <exception cref="CheckpointFormatException">The data is not a valid PNG.</exception>
    public static Image Decode(ReadOnlySpan<byte> data, string name = "<memory>", PngDecodeOptions? options = null) =>
        PngDecoder.ToImage(PngDecoder.Decode(data, name), options ?? PngDecodeOptions.Default);

    /// <summary>Reads a PNG file keeping 16-bit samples exact.</summary>
    /// <exception cref="CheckpointFormatException">The file is not a valid PNG.</exception>
    public static Image16 Read16(string path, bool applyTransparency = false) =>
        Decode16(File.ReadAllBytes(path), path, applyTransparency);

    /// <summary>Decodes a PNG keeping 16-bit samples exact; lower depths are scaled to 8 bits and then by 257,
    /// so 255 maps to 65535.</summary>
    /// <exception cref="CheckpointFormatException">The data is not a valid PNG.</exception>
    public static Image16 Decode16(ReadOnlySpan<byte> data, string name = "<memory>", bool applyTransparency = false) =>
        PngDecoder.ToImage16(PngDecoder.Decode(data, name), applyTransparency);

    /// <summary>Encodes an 8-bit image as PNG (colour type 0, 4, 2 or 6 by channel count).</summary>
    public static byte[] Encode(Image image, PngFilter filter = PngFilter.Adaptive,
        CompressionLevel compression = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!Enum.IsDefined(filter))
            throw new ArgumentException($"Png.Encode: unknown filter {filter}.", nameof(filter));
        return PngEncoder.Encode(image, filter, compression);
    }

    /// <summary>Encodes <paramref name="image"/> and writes it atomically: a temp file in the same folder is
    /// renamed over <paramref name="path"/>, so readers never see a partial file.</summary>
    public static void Write(string path, Image image, PngFilter filter = PngFilter.Adaptive,
        CompressionLevel compression = CompressionLevel.Optimal) =>
        AtomicFile.WriteAllBytes(path, Encode(image, filter, compression));
}
