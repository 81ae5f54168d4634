// IDX files as used by MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"): bytes 0-1 zero,
// byte 2 the element type (0x08 unsigned byte, 0x09 signed byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double),
// byte 3 the number of dimensions, then each dimension as a big-endian int32, then the data. Files may be gzipped
// (detected by the 1f 8b magic); offsets in errors are then positions in the decompressed stream.

using System.Buffers.Binary;
using System.IO.Compression;
using Unravel.IO.Internal;
using Unravel.Tensors;

namespace Unravel.IO;

/// <summary>Reads IDX (MNIST-style) files, gzipped or not.</summary>
public static class Idx
{
    private const int MaxRank = 16;
    private const long MaxDeflateRatio = 1032;

    /// <summary>Reads an IDX file of unsigned bytes (type 0x08).</summary>
    /// <exception cref="CheckpointFormatException">Bad magic, an element type other than unsigned byte, a truncated file,
    /// trailing bytes, or a corrupt gzip stream; the message names the file and offset.</exception>
    public static IdxArray Read(string path) => Read(path, int.MaxValue);

    /// <summary>Reads the first <paramref name="limit"/> items (entries of the first dimension) of an IDX file of unsigned
    /// bytes; the file is streamed and nothing past those items is read or allocated.</summary>
    /// <remarks>With a limit below the item count the rest of the file, and so the gzip trailer, is not checked. Memory
    /// is bounded by the bytes actually read, never by the shape the header declares: a header that claims more data
    /// than the file holds fails when the data runs out.</remarks>
    /// <exception cref="CheckpointFormatException">As <see cref="Read(string)"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    public static IdxArray Read(string path, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using FileStream file = File.OpenRead(path);
        Span<byte> gz = stackalloc byte[2];
        bool gzipped = file.ReadAtLeast(gz, 2, throwOnEndOfStream: false) == 2 && gz[0] == 0x1f && gz[1] == 0x8b;
        file.Position = 0;
        string where = gzipped ? " (decompressed)" : "";
        try
        {
            using Stream stream = gzipped ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            (IdxArray result, bool complete) = ReadStream(path, stream, where, file.Length, limit);
            if (gzipped && complete) CheckGzipTrailer(path, file, result);
            return result;
        }
        catch (Exception e) when (CorruptCompressedData.Is(e))
        {
            throw new CheckpointFormatException(path, "gzip stream", $"the gzip data is corrupt ({e.Message})",
                "the file is damaged; download it again", e);
        }
    }

    /// <summary>Streams the data bytes of an unsigned-byte IDX file in chunks of at most 1 MiB, in order, without holding
    /// more than one chunk; the header is checked as by <see cref="Read(string)"/>.</summary>
    /// <param name="path">The file, gzipped or not.</param>
    /// <param name="data">Receives each chunk of data bytes.</param>
    /// <returns>The shape the header declares.</returns>
    /// <exception cref="CheckpointFormatException">A bad header, or the data is shorter or longer than the shape says.</exception>
    public static int[] Scan(string path, Action<ReadOnlySpan<byte>> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Read(path, 0);   // every check of the header
        using FileStream file = File.OpenRead(path);
        bool gzipped = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        string where = gzipped ? " (decompressed)" : "";
        try
        {
            using Stream stream = gzipped ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            Span<byte> magic = stackalloc byte[4];
            ReadExactly(path, stream, magic, 0, where);
            var dims = new byte[4 * magic[3]];
            ReadExactly(path, stream, dims, 4, where);
            int[] shape = [.. Enumerable.Range(0, magic[3]).Select(i => BinaryPrimitives.ReadInt32BigEndian(dims.AsSpan(4 * i)))];
            long count = shape.Aggregate(1L, (a, d) => a == 0 || d == 0 ? 0 : a > long.MaxValue / d ? long.MaxValue : a * d), seen = 0;
            byte[] buffer = new byte[1 << 20];
            for (int got; (got = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)) > 0;)
            {
                seen += got;
                if (seen > count) break;
                data(buffer.AsSpan(0, got));
            }
            if (seen != count)
                throw new CheckpointFormatException(path, $"offset {4 + 4L * shape.Length + Math.Min(seen, count)}{where}",
                    seen > count ? "trailing bytes after the data"
                        : $"shape {ShapeRules.Format(shape)} needs {count} data bytes but the file has {seen.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                    seen < count ? "the file is truncated" : "the header's shape does not match the data");
            return shape;
        }
        catch (Exception e) when (CorruptCompressedData.Is(e))
        {
            throw new CheckpointFormatException(path, "gzip stream", $"the gzip data is corrupt ({e.Message})", "the file is damaged; download it again", e);
        }
    }

    /// <summary>Reads an image file [N, H, W] as a float tensor [N, 1, H, W] scaled to [0, 1] (value / 255).</summary>
    /// <remarks>Effectively computes torchvision's <c>ToTensor()</c> on each MNIST image.</remarks>
    /// <exception cref="CheckpointFormatException">The file is not a rank-3 unsigned-byte IDX file.</exception>
    public static Tensor ReadImages(string path) => ReadImages(path, int.MaxValue);

    /// <summary>Reads the first <paramref name="limit"/> images of an image file [N, H, W] as [min(N, limit), 1, H, W] in
    /// [0, 1]; only those images are read from the file (see <see cref="Read(string, int)"/>).</summary>
    /// <exception cref="CheckpointFormatException">The file is not a rank-3 unsigned-byte IDX file, or the images read
    /// exceed the largest array (2^31 - 57 bytes).</exception>
    public static Tensor ReadImages(string path, int limit)
    {
        IdxArray a = Read(path, limit);
        if (a.Shape.Length != 3)
            throw new CheckpointFormatException(path, "offset 3", $"images must have 3 dimensions [N, H, W], found {ShapeRules.Format(a.Shape)}",
                a.Shape.Length == 1 ? "this looks like a labels file; use Idx.ReadLabels" : null);
        var data = new float[a.Data.Length];
        for (int i = 0; i < data.Length; i++) data[i] = a.Data[i] / 255f;
        return Tensor.FromArray(data, a.Shape[0], 1, a.Shape[1], a.Shape[2]);
    }

    /// <summary>Reads a labels file [N] as class indices.</summary>
    /// <exception cref="CheckpointFormatException">The file is not a rank-1 unsigned-byte IDX file.</exception>
    public static int[] ReadLabels(string path) => ReadLabels(path, int.MaxValue);

    /// <summary>Reads the first <paramref name="limit"/> labels of a labels file [N].</summary>
    /// <exception cref="CheckpointFormatException">The file is not a rank-1 unsigned-byte IDX file.</exception>
    public static int[] ReadLabels(string path, int limit)
    {
        IdxArray a = Read(path, limit);
        if (a.Shape.Length != 1)
            throw new CheckpointFormatException(path, "offset 3", $"labels must have 1 dimension [N], found {ShapeRules.Format(a.Shape)}",
                a.Shape.Length == 3 ? "this looks like an images file; use Idx.ReadImages" : null);
        return Array.ConvertAll(a.Data, b => (int)b);
    }

    private static (IdxArray Array, bool Complete) ReadStream(string path, Stream stream, string where, long compressedLength, int limit)
    {
        Span<byte> magic = stackalloc byte[4];
        ReadExactly(path, stream, magic, 0, where);
        if (magic[0] != 0 || magic[1] != 0)
            throw new CheckpointFormatException(path, "offset 0" + where, $"IDX magic must start with two zero bytes, found {magic[0]:x2} {magic[1]:x2}",
                "is this an IDX (MNIST) file?");
        if (magic[2] != 0x08)
            throw new CheckpointFormatException(path, "offset 2" + where, $"element type 0x{magic[2]:x2} ({TypeName(magic[2])}) is not supported",
                "only unsigned-byte (0x08) IDX files, as MNIST and Fashion-MNIST use, can be read");
        int rank = magic[3];
        if (rank is 0 or > MaxRank)
            throw new CheckpointFormatException(path, "offset 3" + where, $"{rank} dimensions (expected 1 to {MaxRank})", null);
        var dims = new byte[4 * rank];
        ReadExactly(path, stream, dims, 4, where);
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(dims.AsSpan(4 * i));
            if (d < 0)
                throw new CheckpointFormatException(path, $"offset {4 + 4 * i}{where}", $"dimension {i} is negative ({d})", null);
            shape[i] = d;
            count = count == 0 || d == 0 ? 0 : count > long.MaxValue / d ? long.MaxValue : count * d;
        }
        long itemBytes = 1;
        for (int i = 1; i < rank; i++) itemBytes = itemBytes == 0 || shape[i] == 0 ? 0 : Math.Min(itemBytes * shape[i], (long)Array.MaxLength + 1);
        int items = Math.Min(shape[0], limit);
        bool complete = items == shape[0];
        long wanted = items == 0 || itemBytes == 0 ? 0 : itemBytes > Array.MaxLength / items ? (long)Array.MaxLength + 1 : items * itemBytes;
        if (wanted > Array.MaxLength)
            throw new CheckpointFormatException(path, "offset 4" + where, $"{items} items of shape {ShapeRules.Format(shape[1..])} are too large to load",
                complete ? "read fewer items (a limit)" : null);
        long dataStart = 4 + 4L * rank;
        if (stream.CanSeek && stream.Length - dataStart != count)
            throw new CheckpointFormatException(path, $"offset {dataStart}",
                $"shape {ShapeRules.Format(shape)} needs {count} data bytes but the file has {stream.Length - dataStart}",
                stream.Length - dataStart < count ? "the file is truncated" : "the file has trailing bytes");
        // A gzip header may claim any shape; deflate expands at most ~1032:1, so a claim the compressed file cannot
        // back is rejected before anything is read.
        if (!stream.CanSeek && complete && count > compressedLength * MaxDeflateRatio)
            throw new CheckpointFormatException(path, $"offset {dataStart}{where}",
                $"shape {ShapeRules.Format(shape)} needs {count} data bytes, more than {compressedLength} compressed bytes can hold",
                "the file is truncated or corrupt");
        byte[] data = ReadGrowing(stream, (int)wanted, stream.CanSeek);
        if (data.Length < wanted)
            throw new CheckpointFormatException(path, $"offset {dataStart}{where}",
                $"shape {ShapeRules.Format(shape)} needs {(complete ? count : wanted)} data bytes but the file has {data.Length}", "the file is truncated");
        if (complete && !stream.CanSeek && stream.ReadByte() >= 0)
            throw new CheckpointFormatException(path, $"offset {dataStart + count}{where}", "trailing bytes after the data",
                "the header's shape does not match the data");
        if (!complete) shape[0] = items;
        return (new IdxArray(data, shape), complete);
    }

    /// <summary>Reads up to <paramref name="wanted"/> bytes. A stream of unknown length (gzip) is read into a buffer
    /// that grows with the data actually decompressed, so a header's claim never decides the allocation.</summary>
    private static byte[] ReadGrowing(Stream stream, int wanted, bool lengthKnown)
    {
        const int FirstChunk = 1 << 20;
        var data = new byte[lengthKnown ? wanted : Math.Min(wanted, FirstChunk)];
        int filled = 0;
        while (true)
        {
            filled += stream.ReadAtLeast(data.AsSpan(filled), data.Length - filled, throwOnEndOfStream: false);
            if (filled < data.Length) return data[..filled];
            if (filled == wanted) return data;
            Array.Resize(ref data, (int)Math.Min(wanted, 2L * data.Length));
        }
    }

    /// <summary>GZipStream neither requires the 8-byte trailer (CRC-32, size mod 2^32) nor rejects bytes after it;
    /// check both as gzip -t does, so truncated or padded downloads are caught.</summary>
    /// <remarks>Assumes one gzip member, as the MNIST-style files are distributed.</remarks>
    private static void CheckGzipTrailer(string path, FileStream file, IdxArray content)
    {
        long length = file.Length;
        Span<byte> trailer = stackalloc byte[8];
        file.Position = Math.Max(0, length - 8);
        if (length < 18 || file.ReadAtLeast(trailer, 8, throwOnEndOfStream: false) < 8)
            throw new CheckpointFormatException(path, $"offset {length}", "the gzip trailer is missing", "the file is truncated");
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer), size = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        long total = 4 + 4L * content.Shape.Length + content.Data.Length;
        if (size != (uint)total || crc != Crc32(content))
            throw new CheckpointFormatException(path, $"offset {length - 8}",
                $"the gzip trailer (crc 0x{crc:x8}, size {size}) does not match the {total} decompressed bytes",
                "the file is truncated, has trailing bytes, or is corrupt; download it again");
    }

    /// <summary>CRC-32 (ISO-HDLC, as gzip uses) of the decompressed stream: header, dimensions, data.</summary>
    private static uint Crc32(IdxArray content)
    {
        Span<byte> head = stackalloc byte[4 + 4 * MaxRank];
        head[2] = 0x08;
        head[3] = (byte)content.Shape.Length;
        for (int i = 0; i < content.Shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(head[(4 + 4 * i)..], content.Shape[i]);
        uint crc = Crc32Update(0xFFFFFFFFu, head[..(4 + 4 * content.Shape.Length)]);
        return ~Crc32Update(crc, content.Data);
    }

    /// <summary>Slicing-by-8 CRC-32 (Intel, "A Systematic Approach to Building High Performance Software-based CRC
    /// Generators"): eight table lookups per 8 bytes instead of one per byte.</summary>
    private static uint Crc32Update(uint crc, ReadOnlySpan<byte> bytes)
    {
        uint[] t = s_crcTables.Value;
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            uint lo = crc ^ BinaryPrimitives.ReadUInt32LittleEndian(bytes[i..]);
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i + 4)..]);
            crc = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^ t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)]
                ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^ t[256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
        }
        for (; i < bytes.Length; i++) crc = t[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static readonly Lazy<uint[]> s_crcTables = new(() =>
    {
        var t = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        for (int n = 0; n < 256; n++)
            for (int k = 1; k < 8; k++)
                t[k * 256 + n] = (t[(k - 1) * 256 + n] >> 8) ^ t[t[(k - 1) * 256 + n] & 0xFF];
        return t;
    });

    private static void ReadExactly(string path, Stream stream, Span<byte> buffer, long offset, string where)
    {
        int got = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (got < buffer.Length)
            throw new CheckpointFormatException(path, $"offset {offset + got}{where}",
                $"unexpected end of file ({buffer.Length - got} more bytes expected)", "the file is truncated");
    }

    private static string TypeName(byte type) => type switch
    {
        0x09 => "signed byte",
        0x0B => "short",
        0x0C => "int",
        0x0D => "float",
        0x0E => "double",
        _ => "unknown",
    };
}
