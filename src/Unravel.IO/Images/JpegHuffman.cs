// JPEG Huffman tables and the entropy-coded-segment bit reader (byte stuffing, markers, restart intervals).
// Reference: ITU-T T.81 (JPEG) Annex C (table specification) and F.2.2 (decoding procedures); the 9-bit lookahead
// table follows libjpeg's jdhuff.c.

namespace Unravel.IO.Images;

/// <summary>A decoding table built from a DHT segment.</summary>
internal sealed class JpegHuffmanTable
{
    public const int LookBits = 9;

    /// <summary>For each 9-bit prefix: (code length shifted left 8) | symbol, or 0 when the code is longer than 9 bits.</summary>
    public readonly ushort[] Lookup = new ushort[1 << LookBits];
    public readonly int[] MaxCode = new int[18];   // largest code of each length, -1 if none; [17] sentinel
    public readonly int[] ValOffset = new int[17]; // symbol index minus first code of each length
    public readonly byte[] Symbols;

    private JpegHuffmanTable(byte[] symbols) => Symbols = symbols;

    /// <summary>Builds the table; returns null with a reason when the code lengths do not form a prefix code.</summary>
    public static JpegHuffmanTable? Create(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols, out string? problem)
    {
        var t = new JpegHuffmanTable(symbols.ToArray());
        int code = 0, k = 0;
        problem = null;
        for (int len = 1; len <= 16; len++)
        {
            int n = counts[len - 1];
            t.ValOffset[len] = k - code;
            for (int i = 0; i < n; i++, k++, code++)
            {
                // No code may be all ones (libjpeg's jpeg_make_d_derived_tbl check); this also keeps the codes
                // inside len bits.
                if (code + 1 >= 1 << len)
                {
                    problem = $"more codes of length {len} than a prefix code allows";
                    return null;
                }
                if (len <= LookBits)
                {
                    int shift = LookBits - len, first = code << shift;
                    for (int j = 0; j < 1 << shift; j++)
                        t.Lookup[first + j] = (ushort)((len << 8) | symbols[k]);
                }
            }
            t.MaxCode[len] = n > 0 ? code - 1 : -1;
            code <<= 1;
        }
        t.MaxCode[17] = int.MaxValue;
        return t;
    }
}

/// <summary>Reads bits from an entropy-coded segment. Stuffed 0xFF00 yields 0xFF; at a marker (or the end of
/// the data) it supplies zero bits and counts them, so that a decoder can tell when it has used bits the file
/// does not contain.</summary>
internal sealed class JpegBitReader
{
    private readonly byte[] _data;
    private ulong _bits;   // left-aligned
    private int _count;
    private int _phantom;  // zero bits appended past a marker or the end of the data

    public JpegBitReader(byte[] data, int position)
    {
        _data = data;
        Position = position;
    }

    /// <summary>Offset of the next byte not yet taken into the bit buffer.</summary>
    public int Position { get; private set; }

    /// <summary>True once the reader stopped at a marker or the end of the data.</summary>
    public bool AtMarker { get; private set; }

    /// <summary>True when decoding consumed bits that are not in the file.</summary>
    public bool Overrun => _phantom > _count;

    private void Fill()
    {
        while (_count <= 56)
        {
            int b = 0;
            if (!AtMarker)
            {
                if (Position >= _data.Length)
                {
                    AtMarker = true;
                }
                else if (_data[Position] != 0xFF)
                {
                    b = _data[Position++];
                }
                else if (Position + 1 < _data.Length && _data[Position + 1] == 0)
                {
                    b = 0xFF;
                    Position += 2;
                }
                else
                {
                    AtMarker = true;  // leave the marker for the caller
                }
            }
            if (AtMarker)
                _phantom += 8;
            _bits |= (ulong)b << (56 - _count);
            _count += 8;
        }
    }

    public int GetBits(int n)
    {
        if (n == 0)
            return 0;
        if (_count < n)
            Fill();
        int v = (int)(_bits >> (64 - n));
        _bits <<= n;
        _count -= n;
        return v;
    }

    public int GetBit() => GetBits(1);

    /// <summary>Reads an n-bit magnitude and sign-extends it (T.81 F.2.2.1 EXTEND).</summary>
    public int Receive(int n)
    {
        if (n == 0)
            return 0;
        int v = GetBits(n);
        return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
    }

    /// <summary>Decodes one symbol; -1 for a bit pattern that is no code of the table.</summary>
    public int Decode(JpegHuffmanTable t)
    {
        if (_count < 16)
            Fill();
        int entry = t.Lookup[(int)(_bits >> (64 - JpegHuffmanTable.LookBits))];
        if (entry != 0)
        {
            int len = entry >> 8;
            _bits <<= len;
            _count -= len;
            return entry & 0xFF;
        }
        for (int len = JpegHuffmanTable.LookBits + 1; len <= 16; len++)
        {
            int code = (int)(_bits >> (64 - len));
            if (code <= t.MaxCode[len])
            {
                _bits <<= len;
                _count -= len;
                int index = code + t.ValOffset[len];
                return index < t.Symbols.Length ? t.Symbols[index] : -1;
            }
        }
        return -1;
    }

    /// <summary>Drops buffered bits (the byte-alignment padding before a marker) and forgets the marker state, so
    /// that reading can resume after the caller has skipped the marker.</summary>
    public void Restart(int position)
    {
        _bits = 0;
        _count = 0;
        _phantom = 0;
        AtMarker = false;
        Position = position;
    }
}
