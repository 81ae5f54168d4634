// JPEG decoder for baseline / extended sequential (SOF0, SOF1) and progressive (SOF2) Huffman-coded 8-bit files
// with 1 (gray) or 3 (YCbCr or RGB) components, any integral sampling factors, restart intervals and
// non-interleaved scans. All scans are decoded into per-component coefficient arrays; JpegOutput then runs the
// islow IDCT, libjpeg's fancy upsampling and colour conversion so that the pixels equal libjpeg-turbo's (Pillow's).
// Arithmetic coding, lossless and hierarchical processes, 12-bit samples, and CMYK/YCCK are rejected.
// Reference: ITU-T T.81 (ISO/IEC 10918-1) Annexes B (syntax), F (sequential), G (progressive); libjpeg-turbo
// jdmarker.c (marker handling, colour space guess), jdhuff.c / jdphuff.c (entropy decoding).

using System.Buffers.Binary;

namespace Unravel.IO.Images;

internal sealed class JpegDecoder
{
    private const string TruncatedHint = "the file is truncated (incomplete download or copy?)";
    private const string CorruptHint = "the file is corrupted; re-export or re-download it";

    /// <summary>Zig-zag position k → natural (row-major) index.</summary>
    internal static readonly byte[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    // At least one bit of scan data per 8x8 block (8 per byte), twice that for the padding of edge MCUs, plus room for
    // tiny images.
    private const long MaxBlocksPerFileByte = 16;
    private const long MaxBlocksAllowance = 16384;

    private readonly byte[] _data;
    private readonly string _file;
    private readonly ushort[]?[] _quant = new ushort[4][];
    private readonly JpegHuffmanTable?[] _dcTables = new JpegHuffmanTable[4];
    private readonly JpegHuffmanTable?[] _acTables = new JpegHuffmanTable[4];
    private int _pos;
    private int _restartInterval;
    private bool _sawJfif, _sawAdobe;
    private int _adobeTransform;
    private int _scans;
    private JpegFrame? _frame;

    private JpegDecoder(byte[] data, string file)
    {
        _data = data;
        _file = file;
    }

    public static Image Decode(byte[] data, string file) => new JpegDecoder(data, file).Run();

    private Image Run()
    {
        if (_data.Length < 2 || _data[0] != 0xFF || _data[1] != 0xD8)
        {
            string hint = Png.IsPng(_data) ? "this is a PNG file; use Png.Decode or Image.Load"
                : "a JPEG file starts with the bytes FF D8";
            throw Error("offset 0", "not a JPEG file (no SOI marker)", hint);
        }
        _pos = 2;
        while (true)
        {
            int at = NextMarker(out int marker);
            switch (marker)
            {
                case 0xD9:  // EOI
                    if (_frame is null || _scans == 0)
                        throw Error($"EOI at offset {at}", "end of image before any frame or scan", CorruptHint);
                    return JpegOutput.Render(_frame, RgbCoded());
                case 0xC0 or 0xC1 or 0xC2:
                    ReadFrame(at, marker);
                    break;
                case 0xC3 or 0xC5 or 0xC6 or 0xC7:
                    throw Error($"{MarkerName(marker)} at offset {at}", "lossless or hierarchical JPEG is not supported",
                        "only baseline and progressive (Huffman) JPEG are supported; re-save the image as a standard JPEG or PNG");
                case 0xC9 or 0xCA or 0xCB or 0xCD or 0xCE or 0xCF or 0xCC:
                    throw Error($"{MarkerName(marker)} at offset {at}", "arithmetic-coded JPEG is not supported",
                        "only Huffman-coded JPEG is supported; convert with e.g. `jpegtran -optimize in.jpg > out.jpg`");
                case 0xC4:
                    ReadHuffmanTables(at);
                    break;
                case 0xDB:
                    ReadQuantTables(at);
                    break;
                case 0xDD:
                {
                    ReadOnlySpan<byte> seg = Segment(at, marker);
                    if (seg.Length != 2)
                        throw Error($"DRI at offset {at}", $"length {seg.Length + 2}, expected 4", CorruptHint);
                    _restartInterval = BinaryPrimitives.ReadUInt16BigEndian(seg);
                    break;
                }
                case 0xDA:
                    ReadScan(at);
                    break;
                case 0xDC:
                    throw Error($"DNL at offset {at}", "DNL markers (height defined after the scan) are not supported",
                        "re-save the image with a standard encoder");
                case 0xD8:
                    throw Error($"SOI at offset {at}", "a second start-of-image marker", CorruptHint);
                case (>= 0xD0 and <= 0xD7) or 0x01:
                    break;  // parameterless markers outside a scan are ignored, as libjpeg does
                case >= 0xE0 and <= 0xEF:
                    ReadApp(at, marker);
                    break;
                case 0xFE:
                    Segment(at, marker);
                    break;
                default:
                    throw Error($"offset {at}", $"unsupported marker 0xFF{marker:X2}", CorruptHint);
            }
        }
    }

    /// <summary>Finds the next marker at or after <see cref="_pos"/> (skipping fill bytes and, like libjpeg,
    /// stray bytes), leaves <see cref="_pos"/> after it, and returns the marker's offset.</summary>
    private int NextMarker(out int marker)
    {
        int p = _pos;
        while (true)
        {
            while (p < _data.Length && _data[p] != 0xFF)
                p++;
            int q = p;
            while (q < _data.Length && _data[q] == 0xFF)
                q++;
            if (q >= _data.Length)
                throw Error($"offset {_data.Length}", "file ends before the EOI marker", TruncatedHint);
            if (_data[q] != 0)
            {
                marker = _data[q];
                _pos = q + 1;
                return q - 1;
            }
            p = q + 1;  // 0xFF00 outside a scan: garbage
        }
    }

    /// <summary>The payload of the marker segment at <paramref name="at"/> (after its length field); advances
    /// <see cref="_pos"/> past it.</summary>
    private ReadOnlySpan<byte> Segment(int at, int marker)
    {
        if (_data.Length - _pos < 2)
            throw Error($"{MarkerName(marker)} at offset {at}", "file ends inside the segment length", TruncatedHint);
        int length = BinaryPrimitives.ReadUInt16BigEndian(_data.AsSpan(_pos));
        if (length < 2)
            throw Error($"{MarkerName(marker)} at offset {at}", $"segment length {length} is below 2", CorruptHint);
        if (_pos + length > _data.Length)
            throw Error($"{MarkerName(marker)} at offset {at}",
                $"segment of {length} bytes runs past the end of the file ({_data.Length - _pos} bytes left)", TruncatedHint);
        ReadOnlySpan<byte> seg = _data.AsSpan(_pos + 2, length - 2);
        _pos += length;
        return seg;
    }

    private void ReadApp(int at, int marker)
    {
        ReadOnlySpan<byte> seg = Segment(at, marker);
        if (marker == 0xE0 && seg.Length >= 14 && seg[..5].SequenceEqual("JFIF\0"u8))
        {
            _sawJfif = true;
        }
        else if (marker == 0xEE && seg.Length >= 12 && seg[..5].SequenceEqual("Adobe"u8))
        {
            _sawAdobe = true;
            _adobeTransform = seg[11];
        }
    }

    private void ReadQuantTables(int at)
    {
        ReadOnlySpan<byte> seg = Segment(at, 0xDB);
        int p = 0;
        while (p < seg.Length)
        {
            int pq = seg[p] >> 4, tq = seg[p] & 15;
            string where = $"DQT at offset {at}";
            if (pq > 1 || tq > 3)
                throw Error(where, $"invalid table precision {pq} or index {tq}", CorruptHint);
            int size = 64 * (pq + 1);
            if (p + 1 + size > seg.Length)
                throw Error(where, $"table {tq} needs {size} bytes but the segment has {seg.Length - p - 1}", CorruptHint);
            var table = new ushort[64];
            for (int k = 0; k < 64; k++)
                table[ZigZag[k]] = pq == 0 ? seg[p + 1 + k] : BinaryPrimitives.ReadUInt16BigEndian(seg[(p + 1 + 2 * k)..]);
            _quant[tq] = table;
            p += 1 + size;
        }
    }

    private void ReadHuffmanTables(int at)
    {
        ReadOnlySpan<byte> seg = Segment(at, 0xC4);
        string where = $"DHT at offset {at}";
        int p = 0;
        while (p < seg.Length)
        {
            int tc = seg[p] >> 4, th = seg[p] & 15;
            if (tc > 1 || th > 3)
                throw Error(where, $"invalid table class {tc} or index {th}", CorruptHint);
            if (p + 17 > seg.Length)
                throw Error(where, "segment ends inside the code-length counts", CorruptHint);
            ReadOnlySpan<byte> counts = seg.Slice(p + 1, 16);
            int total = 0;
            foreach (byte c in counts)
                total += c;
            if (total > 256 || p + 17 + total > seg.Length)
                throw Error(where, $"table declares {total} symbols but the segment has {seg.Length - p - 17} bytes left", CorruptHint);
            ReadOnlySpan<byte> symbols = seg.Slice(p + 17, total);
            if (tc == 0)
            {
                foreach (byte s in symbols)
                {
                    if (s > 15)
                        throw Error(where, $"DC table {th} has symbol {s} (a DC difference has at most 15 bits)", CorruptHint);
                }
            }
            JpegHuffmanTable table = JpegHuffmanTable.Create(counts, symbols, out string? problem)
                ?? throw Error(where, $"{(tc == 0 ? "DC" : "AC")} table {th}: {problem}", CorruptHint);
            (tc == 0 ? _dcTables : _acTables)[th] = table;
            p += 17 + total;
        }
    }

    private void ReadFrame(int at, int marker)
    {
        string where = $"{MarkerName(marker)} at offset {at}";
        ReadOnlySpan<byte> seg = Segment(at, marker);
        if (_frame is not null)
            throw Error(where, "a second frame header", "multi-frame (hierarchical) JPEG is not supported");
        if (seg.Length < 6)
            throw Error(where, $"frame header of {seg.Length} bytes is too short", CorruptHint);
        int precision = seg[0];
        int height = BinaryPrimitives.ReadUInt16BigEndian(seg[1..]);
        int width = BinaryPrimitives.ReadUInt16BigEndian(seg[3..]);
        int nc = seg[5];
        if (precision != 8)
            throw Error(where, $"{precision}-bit samples are not supported",
                "only 8-bit JPEG is supported (12-bit JPEG is rare; convert it to 8-bit or PNG)");
        if (height == 0)
            throw Error(where, "height 0 (defined later by a DNL marker) is not supported", "re-save the image with a standard encoder");
        if (width == 0)
            throw Error(where, "width 0", CorruptHint);
        if (nc == 4)
            throw Error(where, "4-component (CMYK/YCCK) JPEG is not supported", "convert the image to RGB first");
        if (nc is not (1 or 3))
            throw Error(where, $"{nc} components; only 1 (gray) and 3 (colour) are supported", CorruptHint);
        if (seg.Length != 6 + 3 * nc)
            throw Error(where, $"frame header of {seg.Length + 2} bytes, expected {8 + 3 * nc}", CorruptHint);

        var comps = new JpegComponent[nc];
        for (int i = 0; i < nc; i++)
        {
            ReadOnlySpan<byte> c = seg.Slice(6 + 3 * i, 3);
            int h = c[1] >> 4, v = c[1] & 15, tq = c[2];
            if (h is < 1 or > 4 || v is < 1 or > 4 || tq > 3)
                throw Error(where, $"component {c[0]}: invalid sampling {h}x{v} or table {tq}", CorruptHint);
            for (int j = 0; j < i; j++)
            {
                if (comps[j].Id == c[0])
                    throw Error(where, $"component id {c[0]} appears twice", CorruptHint);
            }
            comps[i] = new JpegComponent { Id = c[0], H = h, V = v, QuantIndex = tq };
        }
        int hmax = comps.Max(c => c.H), vmax = comps.Max(c => c.V);
        foreach (JpegComponent c in comps)
        {
            if (hmax % c.H != 0 || vmax % c.V != 0)
                throw Error(where, $"component {c.Id} has sampling {c.H}x{c.V} that does not divide {hmax}x{vmax}",
                    "fractional sampling factors are not supported (libjpeg rejects them too)");
        }
        var frame = new JpegFrame(width, height, marker == 0xC2, comps);
        if (!frame.Allocate(PngDecoder.MaxPixels, MaxBlocksPerFileByte * _data.Length + MaxBlocksAllowance))
            throw Error(where, $"image is {width}x{height} with sampling that needs too much memory, or more 8x8 blocks than a {_data.Length}-byte file can code",
                "refusing to allocate an image this large; downscale it first, or the file is truncated");
        _frame = frame;
    }

    /// <summary>libjpeg's guess of the colour space of a 3-component file (jdapimin.c default_decompress_parms).</summary>
    private bool RgbCoded()
    {
        if (_frame!.Components.Length != 3 || _sawJfif)
            return false;
        if (_sawAdobe)
            return _adobeTransform == 0;
        JpegComponent[] c = _frame.Components;
        return c[0].Id == 'R' && c[1].Id == 'G' && c[2].Id == 'B';
    }

    private void ReadScan(int at)
    {
        string where = $"SOS at offset {at}";
        ReadOnlySpan<byte> seg = Segment(at, 0xDA);
        JpegFrame frame = _frame ?? throw Error(where, "scan before the frame header (SOF)", CorruptHint);
        int ns = seg.Length > 0 ? seg[0] : 0;
        if (ns is < 1 or > 4 || seg.Length != 4 + 2 * ns)
            throw Error(where, $"scan header of {seg.Length + 2} bytes for {ns} components", CorruptHint);
        var comps = new JpegComponent[ns];
        for (int i = 0; i < ns; i++)
        {
            int id = seg[1 + 2 * i], tables = seg[2 + 2 * i];
            JpegComponent c = Array.Find(frame.Components, x => x.Id == id)
                ?? throw Error(where, $"component id {id} is not in the frame", CorruptHint);
            if (Array.IndexOf(comps, c) >= 0)
                throw Error(where, $"component id {id} appears twice", CorruptHint);
            c.DcTable = tables >> 4;
            c.AcTable = tables & 15;
            if (c.DcTable > 3 || c.AcTable > 3)
                throw Error(where, $"component {id}: invalid table indices {c.DcTable}/{c.AcTable}", CorruptHint);
            comps[i] = c;
        }
        int ss = seg[1 + 2 * ns], se = seg[2 + 2 * ns], ah = seg[3 + 2 * ns] >> 4, al = seg[3 + 2 * ns] & 15;
        if (frame.Progressive)
        {
            bool ok = ss == 0 ? se == 0 : se >= ss && se <= 63 && ns == 1;
            if (!ok || al > 13 || (ah != 0 && ah != al + 1))
                throw Error(where, $"invalid progressive scan parameters Ss={ss} Se={se} Ah={ah} Al={al} for {ns} components",
                    CorruptHint);
        }
        else
        {
            (ss, se, ah, al) = (0, 63, 0, 0);  // libjpeg ignores other values in sequential files (with a warning)
        }
        foreach (JpegComponent c in comps)
        {
            if (ss == 0 && ah == 0 && _dcTables[c.DcTable] is null)
                throw Error(where, $"component {c.Id} uses DC Huffman table {c.DcTable}, which is not defined", CorruptHint);
            if (se > 0 && _acTables[c.AcTable] is null)
                throw Error(where, $"component {c.Id} uses AC Huffman table {c.AcTable}, which is not defined", CorruptHint);
            // libjpeg latches a component's quantization table at the first scan that contains it.
            c.Quant ??= _quant[c.QuantIndex]?.ToArray()
                ?? throw Error(where, $"component {c.Id} uses quantization table {c.QuantIndex}, which is not defined", CorruptHint);
        }
        new JpegScanDecoder(this, frame, comps, ss, se, ah, al, at).Run();
        _scans++;
    }

    /// <summary>Decodes one scan's entropy-coded data into the components' coefficient arrays.</summary>
    private sealed class JpegScanDecoder(JpegDecoder owner, JpegFrame frame, JpegComponent[] comps,
        int ss, int se, int ah, int al, int scanOffset)
    {
        private readonly JpegBitReader _reader = new(owner._data, owner._pos);
        private int _eobrun;

        public void Run()
        {
            int mcusX, mcusY;
            if (comps.Length == 1)
            {
                mcusX = comps[0].BlocksPerLine;
                mcusY = comps[0].BlocksPerColumn;
            }
            else
            {
                mcusX = frame.McusX;
                mcusY = frame.McusY;
            }
            foreach (JpegComponent c in comps)
                c.DcPred = 0;
            int total = mcusX * mcusY, interval = owner._restartInterval, expectedRst = 0;
            for (int mcu = 0; mcu < total; mcu++)
            {
                if (interval > 0 && mcu > 0 && mcu % interval == 0)
                {
                    ExpectRestart(expectedRst);
                    expectedRst = (expectedRst + 1) & 7;
                }
                int mx = mcu % mcusX, my = mcu / mcusX;
                if (comps.Length == 1)
                {
                    DecodeBlock(comps[0], mx, my);
                }
                else
                {
                    foreach (JpegComponent c in comps)
                    {
                        for (int v = 0; v < c.V; v++)
                        {
                            for (int h = 0; h < c.H; h++)
                                DecodeBlock(c, mx * c.H + h, my * c.V + v);
                        }
                    }
                }
                if (_reader.Overrun)
                    throw EntropyError($"entropy-coded data ends inside MCU {mcu} of {total}");
            }
            owner._pos = _reader.Position;
        }

        private void ExpectRestart(int n)
        {
            if (_reader.Overrun)
                throw EntropyError("entropy-coded data ends inside a restart interval");
            int p = _reader.Position;
            // Skip anything up to the marker (libjpeg does the same, with a warning).
            while (p + 1 < owner._data.Length && !(owner._data[p] == 0xFF && owner._data[p + 1] != 0 && owner._data[p + 1] != 0xFF))
                p++;
            if (p + 1 >= owner._data.Length)
                throw owner.Error($"offset {owner._data.Length}", $"file ends where restart marker RST{n} was expected", TruncatedHint);
            int marker = owner._data[p + 1];
            if (marker != 0xD0 + n)
                throw owner.Error($"offset {p}", $"expected restart marker RST{n}, found {MarkerName(marker)}", CorruptHint);
            _reader.Restart(p + 2);
            foreach (JpegComponent c in comps)
                c.DcPred = 0;
            _eobrun = 0;
        }

        private void DecodeBlock(JpegComponent c, int bx, int by)
        {
            Span<short> block = c.Coefs.AsSpan((by * c.BlocksPerLineAlloc + bx) * 64, 64);
            if (!frame.Progressive)
                DecodeSequential(c, block);
            else if (ss == 0)
                DecodeDc(c, block);
            else if (ah == 0)
                DecodeAcFirst(c, block);
            else
                DecodeAcRefine(block);
        }

        private int Symbol(JpegHuffmanTable? table)
        {
            int s = _reader.Decode(table!);
            if (s < 0)
                throw EntropyError("invalid Huffman code");
            return s;
        }

        private void DecodeSequential(JpegComponent c, Span<short> block)
        {
            int t = Symbol(owner._dcTables[c.DcTable]);
            c.DcPred += _reader.Receive(t);
            block[0] = (short)c.DcPred;
            JpegHuffmanTable? ac = owner._acTables[c.AcTable];
            for (int k = 1; k < 64; k++)
            {
                int rs = Symbol(ac), r = rs >> 4, s = rs & 15;
                if (s == 0)
                {
                    if (r != 15)
                        break;
                    k += 15;
                    continue;
                }
                k += r;
                if (k > 63)
                    throw EntropyError("AC coefficient run goes past index 63");
                block[ZigZag[k]] = (short)_reader.Receive(s);
            }
        }

        private void DecodeDc(JpegComponent c, Span<short> block)
        {
            if (ah == 0)
            {
                int t = Symbol(owner._dcTables[c.DcTable]);
                c.DcPred += _reader.Receive(t);
                block[0] = (short)(c.DcPred << al);
            }
            else if (_reader.GetBit() != 0)
            {
                block[0] |= (short)(1 << al);
            }
        }

        private void DecodeAcFirst(JpegComponent c, Span<short> block)
        {
            if (_eobrun > 0)
            {
                _eobrun--;
                return;
            }
            JpegHuffmanTable? ac = owner._acTables[c.AcTable];
            for (int k = ss; k <= se; k++)
            {
                int rs = Symbol(ac), r = rs >> 4, s = rs & 15;
                if (s == 0)
                {
                    if (r < 15)
                    {
                        _eobrun = (1 << r) - 1 + _reader.GetBits(r);
                        break;
                    }
                    k += 15;
                    continue;
                }
                k += r;
                if (k > 63)
                    throw EntropyError("AC coefficient run goes past index 63");
                block[ZigZag[k]] = (short)(_reader.Receive(s) * (1 << al));
            }
        }

        // T.81 G.1.2.3 / libjpeg decode_mcu_AC_refine: correction bits for coefficients already nonzero,
        // new coefficients of magnitude 1 << Al.
        private void DecodeAcRefine(Span<short> block)
        {
            int p1 = 1 << al, m1 = -1 << al;
            int k = ss;
            JpegHuffmanTable? ac = owner._acTables[comps[0].AcTable];
            if (_eobrun == 0)
            {
                for (; k <= se; k++)
                {
                    int rs = Symbol(ac), r = rs >> 4, s = rs & 15;
                    if (s != 0)
                    {
                        if (s != 1)
                            throw EntropyError($"refinement coefficient of size {s} (must be 1)");
                        s = _reader.GetBit() != 0 ? p1 : m1;
                    }
                    else if (r != 15)
                    {
                        _eobrun = (1 << r) + _reader.GetBits(r);
                        break;
                    }
                    while (k <= se)
                    {
                        int z = ZigZag[k];
                        if (block[z] != 0)
                        {
                            Refine(ref block[z], p1, m1);
                        }
                        else
                        {
                            if (--r < 0)
                                break;
                        }
                        k++;
                    }
                    if (s != 0)
                    {
                        if (k > 63)
                            throw EntropyError("AC coefficient run goes past index 63");
                        block[ZigZag[k]] = (short)s;
                    }
                }
            }
            if (_eobrun > 0)
            {
                for (; k <= se; k++)
                {
                    int z = ZigZag[k];
                    if (block[z] != 0)
                        Refine(ref block[z], p1, m1);
                }
                _eobrun--;
            }
        }

        private void Refine(ref short coef, int p1, int m1)
        {
            if (_reader.GetBit() != 0 && (coef & p1) == 0)
                coef = (short)(coef >= 0 ? coef + p1 : coef + m1);
        }

        private CheckpointFormatException EntropyError(string problem) =>
            owner.Error($"scan (SOS at offset {scanOffset}) near offset {_reader.Position}", problem,
                _reader.AtMarker ? TruncatedHint + " or corrupted" : CorruptHint);
    }

    private CheckpointFormatException Error(string where, string problem, string hint) => new(_file, where, problem, hint);

    internal static string MarkerName(int marker) => marker switch
    {
        >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC => $"SOF{marker - 0xC0}",
        0xC4 => "DHT",
        0xCC => "DAC",
        >= 0xD0 and <= 0xD7 => $"RST{marker - 0xD0}",
        0xD8 => "SOI",
        0xD9 => "EOI",
        0xDA => "SOS",
        0xDB => "DQT",
        0xDC => "DNL",
        0xDD => "DRI",
        >= 0xE0 and <= 0xEF => $"APP{marker - 0xE0}",
        0xFE => "COM",
        _ => $"marker 0xFF{marker:X2}",
    };
}

/// <summary>One image component: sampling, tables, and its coefficient blocks.</summary>
internal sealed class JpegComponent
{
    public int Id, H, V, QuantIndex, DcTable, AcTable, DcPred;
    public ushort[]? Quant;

    /// <summary>Samples in this component: ceil(width·H/Hmax) × ceil(height·V/Vmax) (libjpeg's downsampled size).</summary>
    public int Width, Height;

    /// <summary>Blocks that hold samples (what a non-interleaved scan codes).</summary>
    public int BlocksPerLine, BlocksPerColumn;

    /// <summary>Blocks including the MCU padding of interleaved scans.</summary>
    public int BlocksPerLineAlloc, BlocksPerColumnAlloc;

    public short[] Coefs = [];
}

/// <summary>The frame header (SOF) and the derived MCU geometry.</summary>
internal sealed class JpegFrame(int width, int height, bool progressive, JpegComponent[] components)
{
    public int Width { get; } = width;
    public int Height { get; } = height;
    public bool Progressive { get; } = progressive;
    public JpegComponent[] Components { get; } = components;
    public int Hmax { get; private set; }
    public int Vmax { get; private set; }
    public int McusX { get; private set; }
    public int McusY { get; private set; }

    /// <summary>Computes the geometry and allocates coefficients; false when that would exceed the limit.</summary>
    /// <remarks>Refuses more than <paramref name="maxBlocks"/> blocks: every block costs at least one bit of entropy-coded
    /// data (its DC code), so a header cannot ask for more coefficient memory than its file could fill.</remarks>
    public bool Allocate(long maxSamples, long maxBlocks)
    {
        Hmax = Components.Max(c => c.H);
        Vmax = Components.Max(c => c.V);
        McusX = (Width + 8 * Hmax - 1) / (8 * Hmax);
        McusY = (Height + 8 * Vmax - 1) / (8 * Vmax);
        long total = 0;
        foreach (JpegComponent c in Components)
        {
            c.Width = (int)(((long)Width * c.H + Hmax - 1) / Hmax);
            c.Height = (int)(((long)Height * c.V + Vmax - 1) / Vmax);
            c.BlocksPerLine = (c.Width + 7) / 8;
            c.BlocksPerColumn = (c.Height + 7) / 8;
            c.BlocksPerLineAlloc = McusX * c.H;
            c.BlocksPerColumnAlloc = McusY * c.V;
            total += (long)c.BlocksPerLineAlloc * c.BlocksPerColumnAlloc * 64;
        }
        if (total > maxSamples * 2 || (long)Width * Height > maxSamples || total / 64 > maxBlocks)
            return false;
        foreach (JpegComponent c in Components)
            c.Coefs = new short[c.BlocksPerLineAlloc * c.BlocksPerColumnAlloc * 64];
        return true;
    }
}
