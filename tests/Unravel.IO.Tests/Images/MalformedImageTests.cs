// Malformed input: every truncation, random corruption, bad CRCs, bad markers and unsupported JPEG processes must
// raise CheckpointFormatException (and nothing else) naming the file and a byte offset.

using System.Buffers.Binary;
using System.IO.Compression;
using Unravel.IO.Images;

namespace Unravel.IO.Tests.Images;

public sealed class MalformedImageTests
{
    public static TheoryData<string> TruncationFiles =>
    [
        "png/rgb8_37x53.png", "png/gray1_37x53_adam7.png", "png/pal4_37x53.png", "png/rgba16_37x53.png",
        "png/rgba8_37x53.png", "jpeg/base420_q75_37x53.jpg", "jpeg/prog420_q80_17x1.jpg",
        "jpeg/progrst2b_420_q75_37x53.jpg", "jpeg/rst1b_gray_q75_37x53.jpg", "jpeg/multiscan_420_q75_37x53.jpg",
    ];

    private static Image DecodeAny(byte[] data, string name) =>
        name.EndsWith(".png", StringComparison.Ordinal) ? Png.Decode(data, name) : Jpeg.Decode(data, name);

    private static CheckpointFormatException AssertFormatError(Action decode, string name, string label)
    {
        Exception? ex = Record.Exception(decode);
        Assert.True(ex is CheckpointFormatException, $"{label}: expected CheckpointFormatException, got {ex?.GetType().Name ?? "no exception"}: {ex}");
        var fe = (CheckpointFormatException)ex!;
        Assert.Equal(name, fe.File);
        Assert.Contains("offset", fe.Where);
        Assert.False(string.IsNullOrEmpty(fe.Hint), $"{label}: no hint in '{fe.Message}'");
        return fe;
    }

    [Theory]
    [MemberData(nameof(TruncationFiles))]
    public void Decode_EveryTruncation_ThrowsFormatErrorWithOffset(string file)
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.PathOf(file));
        DecodeAny(data, file);  // the whole file decodes
        // Every prefix near the headers and the end; in between a prime stride (each cut re-checks the CRCs of
        // everything before it, so all prefixes of the larger files would take seconds).
        for (int n = 0; n < data.Length; n += n < 300 || n > data.Length - 300 ? 1 : 17)
            AssertFormatError(() => DecodeAny(data[..n], file), file, $"{file} cut to {n} of {data.Length} bytes");
    }

    [Theory]
    [MemberData(nameof(TruncationFiles))]
    public void Decode_RandomByteCorruption_DecodesOrThrowsOnlyFormatErrors(string file)
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.PathOf(file));
        var rng = new Random(file.Length * 7919);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bad = (byte[])data.Clone();
            int flips = 1 + rng.Next(4);
            for (int i = 0; i < flips; i++)
                bad[rng.Next(bad.Length)] = (byte)rng.Next(256);
            Exception? ex = Record.Exception(() => DecodeAny(bad, file));
            Assert.True(ex is null or CheckpointFormatException, $"{file} trial {trial}: {ex}");
        }
    }

    [Fact]
    public void Png_BadCrc_NamesChunkAndOffset()
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.PathOf("png/rgb8_37x53.png"));
        int idat = IndexOf(data, "IDAT"u8) - 4;
        data[idat + 8 + 10] ^= 0x55;
        var ex = AssertFormatError(() => Png.Decode(data, "bad.png"), "bad.png", "bad CRC");
        Assert.Equal($"chunk 'IDAT' at offset {idat}", ex.Where);
        Assert.Contains("CRC mismatch", ex.Problem);
    }

    [Fact]
    public void Png_CorruptZlibWithValidCrc_Throws()
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.PathOf("png/rgb8_37x53.png"));
        int idat = IndexOf(data, "IDAT"u8) - 4;
        int len = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(idat));
        for (int i = 2; i < len; i++)
            data[idat + 8 + i] = 0xFF;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(idat + 8 + len), PngCrc.Compute(data.AsSpan(idat + 4, len + 4)));
        var ex = AssertFormatError(() => Png.Decode(data, "z.png"), "z.png", "corrupt zlib");
        Assert.Contains($"offset {idat}", ex.Where);
    }

    [Fact]
    public void Png_InvalidFilterType_NamesRow()
    {
        byte[] png = BuildPng(2, 2, 8, 0, [0, 10, 20, 7, 30, 40]);
        var ex = AssertFormatError(() => Png.Decode(png, "f.png"), "f.png", "filter");
        Assert.Contains("invalid filter type 7 on row 1", ex.Problem);
    }

    [Fact]
    public void Png_UnknownCriticalChunk_Throws()
    {
        byte[] png = BuildPng(1, 1, 8, 0, [0, 5], extra: ("ABCD", [1, 2, 3]));
        var ex = AssertFormatError(() => Png.Decode(png, "c.png"), "c.png", "critical chunk");
        Assert.Contains("'ABCD'", ex.Where);
        Assert.Contains("unknown critical chunk", ex.Problem);
    }

    [Fact]
    public void Png_UnknownAncillaryChunk_IsIgnored()
    {
        byte[] png = BuildPng(1, 1, 8, 0, [0, 5], extra: ("abCd", [1, 2, 3]));
        Assert.Equal([5], Png.Decode(png).Pixels);
    }

    [Theory]
    [InlineData(100_000, 100_000, 8, 0, "more than")]
    [InlineData(4, 4, 3, 0, "bit depth 3")]
    [InlineData(4, 4, 16, 3, "bit depth 16")]
    [InlineData(4, 4, 8, 5, "colour type 5")]
    public void Png_BadHeader_Throws(int w, int h, int depth, int colorType, string expected)
    {
        byte[] png = BuildPng(w, h, depth, colorType, [0, 0]);
        var ex = AssertFormatError(() => Png.Decode(png, "h.png"), "h.png", "header");
        Assert.Contains(expected, ex.Problem);
    }

    [Fact]
    public void Png_JpegBytes_HintsJpeg()
    {
        byte[] jpg = File.ReadAllBytes(ImageFixtures.PathOf("jpeg/gray_q75_37x53.jpg"));
        var ex = AssertFormatError(() => Png.Decode(jpg, "x.png"), "x.png", "signature");
        Assert.Contains("JPEG", ex.Hint);
    }

    [Fact]
    public void Jpeg_PngBytes_HintsPng()
    {
        byte[] png = File.ReadAllBytes(ImageFixtures.PathOf("png/rgb8_37x53.png"));
        var ex = AssertFormatError(() => Jpeg.Decode(png, "x.jpg"), "x.jpg", "SOI");
        Assert.Contains("PNG", ex.Hint);
    }

    [Fact]
    public void Jpeg_ArithmeticCoded_IsRejectedClearly()
    {
        string path = ImageFixtures.PathOf("jpeg/arith_q75_37x53.jpg");
        var ex = AssertFormatError(() => Jpeg.Read(path), path, "arithmetic");
        Assert.Contains("arithmetic-coded JPEG is not supported", ex.Problem);
        Assert.StartsWith("SOF9 at offset", ex.Where);
    }

    [Theory]
    [InlineData(0xC3, -1, "lossless")]
    [InlineData(0xC9, -1, "arithmetic")]
    [InlineData(0xC0, 12, "12-bit samples are not supported")]
    public void Jpeg_UnsupportedProcess_IsRejected(int sofMarker, int precision, string expected)
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.PathOf("jpeg/base420_q75_37x53.jpg"));
        int sof = IndexOf(data, [0xFF, 0xC0]);
        data[sof + 1] = (byte)sofMarker;
        if (precision > 0)
            data[sof + 4] = (byte)precision;
        var ex = AssertFormatError(() => Jpeg.Decode(data, "p.jpg"), "p.jpg", expected);
        Assert.Contains(expected, ex.Problem);
        Assert.Contains($"offset {sof}", ex.Where);
    }

    [Fact]
    public void Jpeg_FourComponents_IsRejected()
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.PathOf("jpeg/base420_q75_37x53.jpg"));
        int sof = IndexOf(data, [0xFF, 0xC0]);
        data[sof + 9] = 4;
        var ex = AssertFormatError(() => Jpeg.Decode(data, "cmyk.jpg"), "cmyk.jpg", "CMYK");
        Assert.Contains("CMYK", ex.Problem);
    }

    [Fact]
    public void Jpeg_WrongRestartMarker_NamesExpectedMarker()
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.PathOf("jpeg/rst1b_gray_q75_37x53.jpg"));
        int sos = IndexOf(data, [0xFF, 0xDA]);
        int rst = IndexOf(data, [0xFF, 0xD0], sos);
        data[rst + 1] = 0xD3;
        var ex = AssertFormatError(() => Jpeg.Decode(data, "r.jpg"), "r.jpg", "restart");
        Assert.Equal($"offset {rst}", ex.Where);
        Assert.Contains("expected restart marker RST0, found RST3", ex.Problem);
    }

    [Fact]
    public void Jpeg_UnknownMarker_IsRejected()
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.PathOf("jpeg/base420_q75_37x53.jpg"));
        int dqt = IndexOf(data, [0xFF, 0xDB]);
        data[dqt + 1] = 0x02;
        var ex = AssertFormatError(() => Jpeg.Decode(data, "m.jpg"), "m.jpg", "marker");
        Assert.Equal($"offset {dqt}", ex.Where);
        Assert.Contains("0xFF02", ex.Problem);
    }

    [Fact]
    public void Jpeg_UndefinedHuffmanTable_IsRejected()
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.PathOf("jpeg/gray_q75_37x53.jpg"));
        int sos = IndexOf(data, [0xFF, 0xDA]);
        data[sos + 6] = 0x33;  // component 1 uses DC/AC tables 3, which the file does not define
        var ex = AssertFormatError(() => Jpeg.Decode(data, "t.jpg"), "t.jpg", "table");
        Assert.Contains("not defined", ex.Problem);
    }

    [Fact]
    public void Load_UnknownFormat_Throws()
    {
        string path = Path.Combine(Path.GetTempPath(), $"unravel-{Guid.NewGuid():N}.png");
        File.WriteAllText(path, "GIF89a not really");
        try
        {
            var ex = AssertFormatError(() => Image.Load(path), path, "unknown");
            Assert.Contains("not a PNG or JPEG", ex.Problem);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ImageConstructor_WrongLength_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Image(3, 2, 3, new byte[17]));
        Assert.Contains("3x2x3", ex.Message);
        Assert.Throws<ArgumentException>(() => new Image(3, 2, 5, new byte[30]));
    }

    private static int IndexOf(byte[] data, ReadOnlySpan<byte> pattern, int start = 0) =>
        start + data.AsSpan(start).IndexOf(pattern);

    /// <summary>A PNG from raw scanlines (filter bytes included), with an optional extra chunk before IDAT.</summary>
    private static byte[] BuildPng(int w, int h, int depth, int colorType, byte[] scanlines, (string Type, byte[] Data)? extra = null)
    {
        var ms = new MemoryStream();
        ms.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        byte[] ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = (byte)depth;
        ihdr[9] = (byte)colorType;
        Chunk(ms, "IHDR", ihdr);
        if (extra is { } x)
            Chunk(ms, x.Type, x.Data);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true))
            zs.Write(scanlines);
        Chunk(ms, "IDAT", z.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        byte[] head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        for (int i = 0; i < 4; i++)
            head[4 + i] = (byte)type[i];
        s.Write(head);
        s.Write(data);
        byte[] crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, PngCrc.Compute([.. head[4..], .. data]));
        s.Write(crc);
    }
}
