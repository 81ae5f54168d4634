// A minimal zip writer for torch.save's archive layout: entries stored uncompressed, each entry's data aligned to 64 bytes
// through a padding extra field (as PyTorch's writer does), fixed timestamps so the same content gives the same bytes.
// Reference: PKWARE APPNOTE.TXT 6.3 (local header, central directory, end of central directory); zip64 is not written.

using System.Buffers.Binary;
using System.Text;

namespace Unravel.IO;

/// <summary>Writes a zip archive of stored (uncompressed) entries to a stream.</summary>
internal sealed class StoredZipWriter
{
    private const int Alignment = 64;
    private const ushort PaddingTag = 0x4246; // "FB", the tag PyTorch's writer uses for its alignment padding
    private const ushort DosDate = (2000 - 1980) << 9 | 1 << 5 | 1; // 2000-01-01, 00:00
    private static readonly uint[] s_crcTable = MakeCrcTable();

    private readonly Stream _stream;
    private readonly List<(byte[] Name, uint Crc, uint Size, uint Offset)> _entries = [];

    public StoredZipWriter(Stream stream) => _stream = stream;

    /// <exception cref="IOException">The archive would exceed the 4 GiB that zip without zip64 can address.</exception>
    public void Add(string name, ReadOnlySpan<byte> data)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        long offset = _stream.Position;
        if (offset + data.Length + 1024 > uint.MaxValue)
            throw new IOException($"zip writer: '{name}' would end past 4 GiB; this writer does not write zip64.");
        uint crc = Crc32(data);
        int headerEnd = (int)((offset + 30 + nameBytes.Length + 4) % Alignment);
        int pad = headerEnd == 0 ? 0 : Alignment - headerEnd;
        Span<byte> h = stackalloc byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 20);  // version needed
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 0);   // flags
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], 0);   // stored
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], 0);  // time
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], DosDate);
        BinaryPrimitives.WriteUInt32LittleEndian(h[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h[18..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[22..], (uint)data.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)(4 + pad));
        _stream.Write(h);
        _stream.Write(nameBytes);
        Span<byte> extra = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(extra, PaddingTag);
        BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], (ushort)pad);
        _stream.Write(extra);
        for (int i = 0; i < pad; i++) _stream.WriteByte((byte)'Z');
        _stream.Write(data);
        _entries.Add((nameBytes, crc, (uint)data.Length, (uint)offset));
    }

    /// <summary>Writes the central directory and the end record.</summary>
    public void Finish()
    {
        long start = _stream.Position;
        Span<byte> c = stackalloc byte[46];
        foreach ((byte[] name, uint crc, uint size, uint offset) in _entries)
        {
            c.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(c, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(c[4..], 20); // version made by
            BinaryPrimitives.WriteUInt16LittleEndian(c[6..], 20); // version needed
            BinaryPrimitives.WriteUInt16LittleEndian(c[14..], DosDate);
            BinaryPrimitives.WriteUInt32LittleEndian(c[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(c[20..], size);
            BinaryPrimitives.WriteUInt32LittleEndian(c[24..], size);
            BinaryPrimitives.WriteUInt16LittleEndian(c[28..], (ushort)name.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(c[42..], offset);
            _stream.Write(c);
            _stream.Write(name);
        }
        long end = _stream.Position;
        Span<byte> e = stackalloc byte[22];
        e.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(e, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(e[10..], (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(e[12..], (uint)(end - start));
        BinaryPrimitives.WriteUInt32LittleEndian(e[16..], (uint)start);
        _stream.Write(e);
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = s_crcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
