// PNG decoder: chunk walk with CRC check, IHDR/PLTE/tRNS/IDAT/IEND, zlib through ZLibStream, the five scanline
// filters, Adam7 interlacing, bit depths 1/2/4/8/16 in every colour type. The raw samples are then mapped onto an
// Image (8-bit, Pillow-compatible) or an Image16.
// Reference: PNG Specification, 2nd ed. (W3C REC-PNG-20031110), §5 chunks, §7-9 scanlines, filters, Adam7.

using System.Buffers.Binary;
using System.IO.Compression;
using Unravel.IO.Internal;

namespace Unravel.IO.Images;

internal static class PngDecoder
{
    /// <summary>Refuse images above this many pixels rather than try to allocate them.</summary>
    internal const long MaxPixels = 1L << 28;
    private const long MaxDeflateRatio = 1032;

    private const string TruncatedHint = "the file is truncated (incomplete download or copy?)";
    private const string CorruptHint = "the file is corrupted; re-export or re-download it";

    private static readonly (int X0, int Y0, int Dx, int Dy)[] s_adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    internal static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>The samples as stored: one byte (bit depth ≤ 8, unscaled) or one ushort (16) per sample.</summary>
    internal sealed class Raw
    {
        public int Width, Height, ColorType, BitDepth, SamplesPerPixel;
        public byte[]? Samples8;
        public ushort[]? Samples16;
        public byte[]? Palette;          // RGB triples
        public byte[]? PaletteAlpha;     // tRNS for colour type 3
        public int[]? TransparentKey;    // tRNS for colour types 0 (1 value) and 2 (3 values)
    }

    public static Raw Decode(ReadOnlySpan<byte> data, string file)
    {
        if (data.Length < 8 || !data[..8].SequenceEqual(Signature))
        {
            string hint = Jpeg.IsJpeg(data) ? "this is a JPEG file; use Jpeg.Decode or Image.Load"
                : "a PNG file starts with the bytes 89 50 4E 47 0D 0A 1A 0A";
            throw Error(file, "offset 0", "not a PNG file (bad signature)", hint);
        }

        Raw raw = new();
        bool sawHeader = false, idatDone = false;
        int interlace = 0, firstIdat = -1;
        byte[]? trns = null;
        var idat = new MemoryStream();
        int pos = 8;
        while (true)
        {
            if (data.Length - pos < 12)
            {
                string problem = pos == data.Length ? "file ends before the IEND chunk"
                    : $"truncated chunk header ({data.Length - pos} bytes left, a chunk needs at least 12)";
                throw Error(file, $"offset {pos}", problem, TruncatedHint);
            }
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            ReadOnlySpan<byte> typeBytes = data.Slice(pos + 4, 4);
            string type = ChunkName(typeBytes);
            string where = $"chunk '{type}' at offset {pos}";
            foreach (byte b in typeBytes)
            {
                if (b is not ((>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z')))
                    throw Error(file, $"offset {pos}", $"invalid chunk type {Convert.ToHexString(typeBytes)}", CorruptHint);
            }
            if (length > int.MaxValue)
                throw Error(file, where, $"declares {length} data bytes (more than 2^31 - 1)", CorruptHint);
            if (length > data.Length - pos - 12)
                throw Error(file, where, $"declares {length} data bytes but only {Math.Max(0, data.Length - pos - 12)} remain before its CRC",
                    TruncatedHint);
            ReadOnlySpan<byte> body = data.Slice(pos + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            uint computed = PngCrc.Compute(data.Slice(pos + 4, (int)length + 4));
            if (stored != computed)
                throw Error(file, where, $"CRC mismatch (stored 0x{stored:x8}, computed 0x{computed:x8})", CorruptHint);
            if (!sawHeader && type != "IHDR")
                throw Error(file, where, "the first chunk must be IHDR", CorruptHint);
            if (idat.Length > 0 && type != "IDAT")
                idatDone = true;

            switch (type)
            {
                case "IHDR":
                    if (sawHeader)
                        throw Error(file, where, "a second IHDR chunk", CorruptHint);
                    interlace = ReadHeader(body, raw, file, where);
                    sawHeader = true;
                    break;
                case "PLTE":
                    if (body.Length % 3 != 0 || body.Length == 0 || body.Length > 768)
                        throw Error(file, where, $"palette of {body.Length} bytes (must be 3 to 768 and a multiple of 3)", CorruptHint);
                    if (raw.ColorType == 3)
                        raw.Palette = body.ToArray();
                    break;  // a suggested palette for truecolour images is not needed to decode them
                case "tRNS":
                    trns = body.ToArray();
                    break;
                case "IDAT":
                    if (idatDone)
                        throw Error(file, where, "IDAT chunks are not consecutive", CorruptHint);
                    if (firstIdat < 0)
                        firstIdat = pos;
                    idat.Write(body);
                    break;
                case "IEND":
                    break;
                default:
                    if ((typeBytes[0] & 0x20) == 0)
                        throw Error(file, where, "unknown critical chunk",
                            "only the PNG critical chunks IHDR, PLTE, IDAT and IEND are understood (APNG and other extensions are not)");
                    break;  // ancillary: safe to ignore
            }
            pos += 12 + (int)length;
            if (type == "IEND")
                break;
        }

        if (firstIdat < 0)
            throw Error(file, $"offset {pos}", "no IDAT chunk before IEND", CorruptHint);
        if (raw.ColorType == 3 && raw.Palette is null)
            throw Error(file, $"offset {firstIdat}", "palette image without a PLTE chunk", CorruptHint);
        if (trns is not null)
            ReadTransparency(trns, raw);

        idat.Position = 0;
        Inflate(idat, raw, interlace == 1, file, firstIdat);
        return raw;
    }

    private static int ReadHeader(ReadOnlySpan<byte> body, Raw raw, string file, string where)
    {
        if (body.Length != 13)
            throw Error(file, where, $"IHDR has {body.Length} bytes, expected 13", CorruptHint);
        uint w = BinaryPrimitives.ReadUInt32BigEndian(body);
        uint h = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int depth = body[8], colorType = body[9];
        if (w == 0 || h == 0 || w > int.MaxValue || h > int.MaxValue)
            throw Error(file, where, $"invalid size {w}x{h}", CorruptHint);
        if ((long)w * h > MaxPixels)
            throw Error(file, where, $"image is {w}x{h}, more than {MaxPixels} pixels",
                "refusing to allocate an image this large; downscale it first");
        int spp = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        bool depthOk = colorType switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (spp == 0)
            throw Error(file, where, $"invalid colour type {colorType}", CorruptHint);
        if (!depthOk)
            throw Error(file, where, $"bit depth {depth} is not allowed for colour type {colorType}", CorruptHint);
        if (body[10] != 0 || body[11] != 0)
            throw Error(file, where, $"unknown compression method {body[10]} or filter method {body[11]}", CorruptHint);
        if (body[12] > 1)
            throw Error(file, where, $"unknown interlace method {body[12]}", CorruptHint);
        raw.Width = (int)w;
        raw.Height = (int)h;
        raw.BitDepth = depth;
        raw.ColorType = colorType;
        raw.SamplesPerPixel = spp;
        return body[12];
    }

    private static void ReadTransparency(byte[] trns, Raw raw)
    {
        // Malformed tRNS is ignored, as libpng does (it only warns): it is an ancillary chunk.
        switch (raw.ColorType)
        {
            case 0 when trns.Length >= 2:
                raw.TransparentKey = [BinaryPrimitives.ReadUInt16BigEndian(trns)];
                break;
            case 2 when trns.Length >= 6:
                raw.TransparentKey =
                [
                    BinaryPrimitives.ReadUInt16BigEndian(trns),
                    BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(2)),
                    BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(4)),
                ];
                break;
            case 3 when trns.Length > 0:
                raw.PaletteAlpha = trns.Length * 3 > raw.Palette!.Length ? trns[..(raw.Palette.Length / 3)] : trns;
                break;
        }
    }

    private static void Inflate(MemoryStream idat, Raw raw, bool interlaced, string file, int firstIdat)
    {
        int w = raw.Width, h = raw.Height, spp = raw.SamplesPerPixel, depth = raw.BitDepth;
        long samples = (long)w * h * spp;
        // Deflate expands at most ~1032:1, so a header whose scanlines the IDAT data cannot hold is refused before the
        // image is allocated (a 100-byte file could otherwise ask for 2 GiB).
        long scanlineBytes = (long)h * ((((long)w * spp * depth + 7) / 8) + 1);
        if (scanlineBytes > MaxDeflateRatio * idat.Length + 1024)
            throw Error(file, $"IDAT data starting at offset {firstIdat}",
                $"{idat.Length} bytes of compressed data cannot hold a {w}x{h} image ({scanlineBytes} bytes of scanlines)", TruncatedHint);
        if (depth == 16)
            raw.Samples16 = new ushort[samples];
        else
            raw.Samples8 = new byte[samples];
        int bpp = Math.Max(1, spp * depth / 8);
        int maxRowBytes = (int)(((long)w * spp * depth + 7) / 8);
        byte[] cur = new byte[maxRowBytes + 1], prev = new byte[maxRowBytes + 1];
        long consumed = 0;
        string where = $"IDAT data starting at offset {firstIdat}";

        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        (int X0, int Y0, int Dx, int Dy)[] passes = interlaced ? s_adam7 : [(0, 0, 1, 1)];
        for (int p = 0; p < passes.Length; p++)
        {
            var (x0, y0, dx, dy) = passes[p];
            int pw = (w - x0 + dx - 1) / dx, ph = (h - y0 + dy - 1) / dy;
            if (pw <= 0 || ph <= 0)
                continue;  // an empty Adam7 pass has no scanlines at all, not even filter bytes
            int rowBytes = (int)(((long)pw * spp * depth + 7) / 8);
            Array.Clear(prev);
            for (int r = 0; r < ph; r++)
            {
                int got = ReadFully(z, cur.AsSpan(0, rowBytes + 1), file, where);
                consumed += got;
                if (got < rowBytes + 1)
                    throw Error(file, where, $"zlib stream ends after {consumed} bytes of scanlines (row {r} of " +
                        (interlaced ? $"Adam7 pass {p + 1})" : $"{h})"), TruncatedHint);
                int filter = cur[0];
                if (filter > 4)
                    throw Error(file, where, $"invalid filter type {filter} on row {r}" + (interlaced ? $" of Adam7 pass {p + 1}" : ""),
                        CorruptHint);
                Unfilter(filter, cur.AsSpan(1, rowBytes), prev.AsSpan(1, rowBytes), bpp);
                Unpack(cur.AsSpan(1, rowBytes), raw, y0 + r * dy, x0, dx, pw);
                (cur, prev) = (prev, cur);
            }
        }
    }

    private static int ReadFully(Stream z, Span<byte> dst, string file, string where)
    {
        int got = 0;
        try
        {
            while (got < dst.Length)
            {
                int n = z.Read(dst[got..]);
                if (n == 0)
                    break;
                got += n;
            }
        }
        catch (Exception e) when (CorruptCompressedData.Is(e))
        {
            throw Error(file, where, "corrupt zlib data: " + e.Message, CorruptHint, e);
        }
        return got;
    }

    internal static void Unfilter(int filter, Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        int n = row.Length;
        switch (filter)
        {
            case 1:
                for (int i = bpp; i < n; i++)
                    row[i] += row[i - bpp];
                break;
            case 2:
                for (int i = 0; i < n; i++)
                    row[i] += prior[i];
                break;
            case 3:
                for (int i = 0; i < Math.Min(bpp, n); i++)
                    row[i] += (byte)(prior[i] >> 1);
                for (int i = bpp; i < n; i++)
                    row[i] += (byte)((row[i - bpp] + prior[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < Math.Min(bpp, n); i++)
                    row[i] += prior[i];
                for (int i = bpp; i < n; i++)
                    row[i] += Paeth(row[i - bpp], prior[i], prior[i - bpp]);
                break;
        }
    }

    internal static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }

    /// <summary>Scatters one unfiltered scanline of <paramref name="count"/> pixels into the sample array.</summary>
    private static void Unpack(ReadOnlySpan<byte> row, Raw raw, int y, int x0, int dx, int count)
    {
        int spp = raw.SamplesPerPixel, depth = raw.BitDepth;
        long rowBase = (long)y * raw.Width * spp;
        if (depth == 16)
        {
            ushort[] dst = raw.Samples16!;
            for (int i = 0; i < count; i++)
            {
                long d = rowBase + (long)(x0 + i * dx) * spp;
                for (int c = 0; c < spp; c++)
                    dst[d + c] = BinaryPrimitives.ReadUInt16BigEndian(row[((i * spp + c) * 2)..]);
            }
        }
        else if (depth == 8)
        {
            byte[] dst = raw.Samples8!;
            if (dx == 1)
            {
                row[..(count * spp)].CopyTo(dst.AsSpan((int)rowBase + x0 * spp));
                return;
            }
            for (int i = 0; i < count; i++)
            {
                long d = rowBase + (long)(x0 + i * dx) * spp;
                for (int c = 0; c < spp; c++)
                    dst[d + c] = row[i * spp + c];
            }
        }
        else
        {
            // Sub-byte depths only occur with one sample per pixel (gray or palette), packed MSB first.
            byte[] dst = raw.Samples8!;
            int perByte = 8 / depth, mask = (1 << depth) - 1;
            for (int i = 0; i < count; i++)
            {
                int shift = 8 - depth * (i % perByte + 1);
                dst[rowBase + x0 + i * dx] = (byte)((row[i / perByte] >> shift) & mask);
            }
        }
    }

    /// <summary>The 8-bit image for <paramref name="options"/>; see <see cref="PngDecodeOptions"/>.</summary>
    public static Image ToImage(Raw raw, PngDecodeOptions options)
    {
        if (raw.BitDepth == 16)
            return ToImage16(raw, options.ApplyTransparency).To8Bit(options.SixteenBit);
        int w = raw.Width, h = raw.Height, n = w * h;
        byte[] s = raw.Samples8!;
        switch (raw.ColorType)
        {
            case 3:
            {
                byte[] pal = raw.Palette!;
                byte[]? alpha = options.ApplyTransparency ? raw.PaletteAlpha : null;
                int entries = pal.Length / 3, ch = alpha is null ? 3 : 4;
                byte[] dst = new byte[n * ch];
                for (int i = 0; i < n; i++)
                {
                    int idx = s[i], d = i * ch;
                    if (idx < entries)  // indices past the palette decode as black, as in Pillow
                    {
                        dst[d] = pal[idx * 3];
                        dst[d + 1] = pal[idx * 3 + 1];
                        dst[d + 2] = pal[idx * 3 + 2];
                    }
                    if (alpha is not null)
                        dst[d + 3] = idx < alpha.Length ? alpha[idx] : (byte)255;
                }
                return new Image(w, h, ch, dst);
            }
            case 0 or 2:
            {
                int spp = raw.SamplesPerPixel;
                int[]? key = options.ApplyTransparency ? raw.TransparentKey : null;
                int scale = 255 / ((1 << raw.BitDepth) - 1);
                if (key is null && scale == 1)
                    return new Image(w, h, spp, s);
                int ch = key is null ? spp : spp + 1;
                byte[] dst = new byte[n * ch];
                for (int i = 0; i < n; i++)
                {
                    bool match = key is not null;
                    for (int c = 0; c < spp; c++)
                    {
                        int v = s[i * spp + c];
                        dst[i * ch + c] = (byte)(v * scale);
                        match &= key is not null && v == key[c];
                    }
                    if (key is not null)
                        dst[i * ch + spp] = match ? (byte)0 : (byte)255;
                }
                return new Image(w, h, ch, dst);
            }
            default:
                return new Image(w, h, raw.SamplesPerPixel, s);
        }
    }

    /// <summary>The image at 16 bits: 16-bit files exactly, lower depths scaled to 8 bits and then by 257.</summary>
    public static Image16 ToImage16(Raw raw, bool applyTransparency)
    {
        int w = raw.Width, h = raw.Height;
        if (raw.BitDepth != 16)
        {
            Image img = ToImage(raw, new PngDecodeOptions { ApplyTransparency = applyTransparency });
            ushort[] wide = new ushort[img.Pixels.Length];
            for (int i = 0; i < wide.Length; i++)
                wide[i] = (ushort)(img.Pixels[i] * 257);
            return new Image16(w, h, img.Channels, wide);
        }
        ushort[] s = raw.Samples16!;
        int spp = raw.SamplesPerPixel;
        int[]? key = applyTransparency ? raw.TransparentKey : null;
        if (key is null)
            return new Image16(w, h, spp, s);
        int ch = spp + 1, n = w * h;
        ushort[] dst = new ushort[n * ch];
        for (int i = 0; i < n; i++)
        {
            bool match = true;
            for (int c = 0; c < spp; c++)
            {
                ushort v = s[i * spp + c];
                dst[i * ch + c] = v;
                match &= v == key[c];
            }
            dst[i * ch + spp] = match ? (ushort)0 : ushort.MaxValue;
        }
        return new Image16(w, h, ch, dst);
    }

    private static string ChunkName(ReadOnlySpan<byte> type)
    {
        Span<char> chars = stackalloc char[4];
        for (int i = 0; i < 4; i++)
            chars[i] = type[i] is >= 0x20 and < 0x7F ? (char)type[i] : '?';
        return new string(chars);
    }

    private static CheckpointFormatException Error(string file, string where, string problem, string hint, Exception? inner = null) =>
        new(file, where, problem, hint, inner);
}
