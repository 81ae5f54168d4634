// JPEG entry points. Decoding reproduces libjpeg-turbo's default output (islow IDCT, fancy upsampling, jdcolor.c
// tables), i.e. what Pillow and torchvision see. The work is in JpegDecoder and JpegOutput.

namespace Unravel.IO.Images;

/// <summary>Managed JPEG decoder (baseline, extended sequential and progressive Huffman JPEG, 8-bit, gray or
/// colour).</summary>
public static class Jpeg
{
    /// <summary>True when <paramref name="data"/> starts with a JPEG SOI marker followed by another marker.</summary>
    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    /// <summary>Reads and decodes a JPEG file.</summary>
    /// <exception cref="CheckpointFormatException">The file is not a supported, valid JPEG; the message names the
    /// file, the marker and its byte offset.</exception>
    public static Image Read(string path) => JpegDecoder.Decode(File.ReadAllBytes(path), path);

    /// <summary>Decodes a JPEG to an 8-bit gray (1 channel) or RGB (3 channels) image.</summary>
    /// <remarks>Pixels equal Pillow 9 / libjpeg-turbo 2.1 output for the same file (see the fixture tests).
    /// Arithmetic coding, lossless, hierarchical, 12-bit and CMYK/YCCK files are rejected. Stricter than libjpeg:
    /// corrupt or truncated entropy data is an error rather than a warning with grey blocks.</remarks>
    /// <param name="data">The file contents.</param>
    /// <param name="name">Used in error messages, usually the file path.</param>
    /// <exception cref="CheckpointFormatException">The data is not a supported, valid JPEG.</exception>
    public static Image Decode(ReadOnlySpan<byte> data, string name = "<memory>") => JpegDecoder.Decode(data.ToArray(), name);
}
