// PNG encoder for 8-bit gray, gray + alpha, RGB and RGBA images: fixed or per-row adaptive filtering, zlib via
// ZLibStream, one IDAT per 256 KiB. Used for heatmaps and crops, so it favours simplicity over the last byte.
// Reference: PNG Specification, 2nd ed. (W3C REC-PNG-20031110), §9.6 (filter selection heuristic).

using System.Buffers.Binary;
using System.IO.Compression;

namespace Unravel.IO.Images;

internal static class PngEncoder
{
    private const int IdatChunkBytes = 256 * 1024;

    public static byte[] Encode(Image image, PngFilter filter, CompressionLevel compression)
    {
        int w = image.Width, h = image.Height, ch = image.Channels;
        int rowBytes = w * ch;
        byte colorType = ch switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };

        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, compression, leaveOpen: true))
        {
            byte[] zeros = new byte[rowBytes];
            byte[][] candidates = [.. Enumerable.Range(0, 5).Select(_ => new byte[rowBytes + 1])];
            ReadOnlySpan<byte> pixels = image.Pixels;
            for (int y = 0; y < h; y++)
            {
                ReadOnlySpan<byte> row = pixels.Slice(y * rowBytes, rowBytes);
                ReadOnlySpan<byte> prior = y == 0 ? zeros : pixels.Slice((y - 1) * rowBytes, rowBytes);
                byte[] best;
                if (filter == PngFilter.Adaptive)
                {
                    best = candidates[0];
                    long bestScore = long.MaxValue;
                    for (int f = 0; f < 5; f++)
                    {
                        Apply(f, row, prior, candidates[f], ch);
                        long score = SignedSum(candidates[f]);
                        if (score < bestScore)
                        {
                            bestScore = score;
                            best = candidates[f];
                        }
                    }
                }
                else
                {
                    best = candidates[0];
                    Apply((int)filter, row, prior, best, ch);
                }
                z.Write(best);
            }
        }

        var png = new MemoryStream();
        png.Write(PngDecoder.Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)w);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)h);
        header[8] = 8;
        header[9] = colorType;
        header[10] = header[11] = header[12] = 0;
        WriteChunk(png, "IHDR"u8, header);
        ReadOnlySpan<byte> data = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        for (int i = 0; i < data.Length; i += IdatChunkBytes)
            WriteChunk(png, "IDAT"u8, data.Slice(i, Math.Min(IdatChunkBytes, data.Length - i)));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    /// <summary>Writes filter byte <paramref name="f"/> and the filtered row into <paramref name="dst"/>.</summary>
    private static void Apply(int f, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, Span<byte> dst, int bpp)
    {
        dst[0] = (byte)f;
        Span<byte> o = dst[1..];
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            int pred = f switch
            {
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                4 => PngDecoder.Paeth(a, b, c),
                _ => 0,
            };
            o[i] = (byte)(row[i] - pred);
        }
    }

    private static long SignedSum(ReadOnlySpan<byte> filtered)
    {
        long sum = 0;
        foreach (byte v in filtered[1..])
            sum += v < 128 ? v : 256 - v;
        return sum;
    }

    private static void WriteChunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)body.Length);
        s.Write(word);
        byte[] typed = new byte[4 + body.Length];
        type.CopyTo(typed);
        body.CopyTo(typed.AsSpan(4));
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, PngCrc.Compute(typed));
        s.Write(word);
    }
}
