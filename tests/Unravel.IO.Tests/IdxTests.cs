// IDX (MNIST) files: raw and gzipped fixtures, the image/label helpers, malformed headers and damaged gzip
// streams, and the real Fashion-MNIST test split when the Debian dataset package is installed.

using System.Buffers.Binary;
using System.IO.Compression;
using Unravel.IO.Tests.Support;
using Unravel.Tensors;

namespace Unravel.IO.Tests;

public sealed class IdxTests
{
    [Theory]
    [InlineData("idx/images-idx3-ubyte", "idx/images")]
    [InlineData("idx/images-idx3-ubyte.gz", "idx/images")]
    [InlineData("idx/labels-idx1-ubyte", "idx/labels")]
    [InlineData("idx/labels-idx1-ubyte.gz", "idx/labels")]
    public void Read_Fixture_BytesAndShapeMatch(string fixture, string expectedKey)
    {
        (byte[] data, int[] shape) = FixtureFiles.ExpectedBytes(expectedKey);
        IdxArray a = Idx.Read(FixtureFiles.Path(fixture));
        Assert.Equal(shape, a.Shape);
        Assert.Equal(data, a.Data);
    }

    [Fact]
    public void ReadImages_GzFixture_ScalesToUnitRangeWithChannelAxis()
    {
        (byte[] data, _) = FixtureFiles.ExpectedBytes("idx/images");
        Tensor images = Idx.ReadImages(FixtureFiles.Path("idx/images-idx3-ubyte.gz"));
        Assert.Equal([3, 1, 4, 5], images.Shape.ToArray());
        Assert.Equal(0f, images[0, 0, 0, 0]);
        Assert.Equal(1f, images[0, 0, 0, 1]);
        for (int i = 0; i < data.Length; i++) Assert.Equal(data[i] / 255f, images.Data[i]);
    }

    [Fact]
    public void ReadLabels_Fixture_ReturnsClassIndices()
    {
        Assert.Equal([9, 0, 3], Idx.ReadLabels(FixtureFiles.Path("idx/labels-idx1-ubyte")));
    }

    [Fact]
    public void ReadImages_LabelsFile_ThrowsWithHint()
    {
        string path = FixtureFiles.Path("idx/labels-idx1-ubyte");
        IoAssert.Throws(path, () => Idx.ReadImages(path), "offset 3", "[N, H, W]", "Idx.ReadLabels");
    }

    [Fact]
    public void ReadLabels_ImagesFile_ThrowsWithHint()
    {
        string path = FixtureFiles.Path("idx/images-idx3-ubyte.gz");
        IoAssert.Throws(path, () => Idx.ReadLabels(path), "offset 3", "Idx.ReadImages");
    }

    [Fact]
    public void Read_FloatElementType_Throws()
    {
        string path = FixtureFiles.Path("idx/floats-idx1-float");
        IoAssert.Throws(path, () => Idx.Read(path), "offset 2", "0x0d (float)");
    }

    private static byte[] Header(int rank, params int[] dims)
    {
        var b = new byte[4 + 4 * dims.Length];
        b[2] = 0x08;
        b[3] = (byte)rank;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        return b;
    }

    /// <summary>Bytes, the offset named for a raw file, for a gzipped one, and the problem.</summary>
    public static TheoryData<byte[], string, string, string> Malformed => new()
    {
        { [], "offset 0", "offset 0", "unexpected end" },
        { [0, 1, 8, 1], "offset 0", "offset 0", "two zero bytes" },
        { [0, 0, 8, 0], "offset 3", "offset 3", "0 dimensions" },
        { [0, 0, 8, 2, 0, 0, 0, 1], "offset 8", "offset 8", "unexpected end" },
        { Header(1, -3), "offset 4", "offset 4", "negative" },
        { [.. Header(1, 4), 1, 2, 3], "offset 8", "offset 8", "needs 4 data bytes but the file has 3" },
        // A gzip stream's length is only known by reading it, so the trailing bytes are found where they start.
        { [.. Header(1, 2), 1, 2, 3], "offset 8", "offset 10", "trailing bytes" },
        { Header(3, 65536, 65536, 65536), "offset 4", "offset 4", "too large" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Read_MalformedRaw_ThrowsWithOffset(byte[] bytes, string where, string gzWhere, string problem)
    {
        _ = gzWhere;
        using var dir = new TempDir();
        string path = dir.Write("bad-idx", bytes);
        IoAssert.Throws(path, () => Idx.Read(path), where, problem);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Read_MalformedGzipped_ThrowsWithDecompressedOffset(byte[] bytes, string where, string gzWhere, string problem)
    {
        _ = where;
        using var dir = new TempDir();
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(bytes);
        // GZipStream writes nothing at all for empty content; use Python's gzip.compress(b'', mtime=0) instead.
        byte[] file = bytes.Length > 0 ? buffer.ToArray() : [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        string path = dir.Write("bad-idx.gz", file);
        IoAssert.Throws(path, () => Idx.Read(path), gzWhere + " (decompressed)", problem);
    }

    [Theory]
    [InlineData("idx/images-idx3-ubyte", "idx/images")]
    [InlineData("idx/images-idx3-ubyte.gz", "idx/images")]
    [InlineData("idx/labels-idx1-ubyte.gz", "idx/labels")]
    public void Scan_Fixture_StreamsTheSameBytesAndShape(string fixture, string expectedKey)
    {
        (byte[] data, int[] shape) = FixtureFiles.ExpectedBytes(expectedKey);
        var seen = new List<byte>();
        int[] scanned = Idx.Scan(FixtureFiles.Path(fixture), chunk => seen.AddRange(chunk.ToArray()));
        Assert.Equal(shape, scanned);
        Assert.Equal(data, seen);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Scan_MalformedGzipped_ThrowsAsRead(byte[] bytes, string where, string gzWhere, string problem)
    {
        _ = where;
        _ = gzWhere;
        using var dir = new TempDir();
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(bytes);
        byte[] file = bytes.Length > 0 ? buffer.ToArray() : [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        string path = dir.Write("bad-idx.gz", file);
        var e = Assert.Throws<CheckpointFormatException>(() => Idx.Scan(path, _ => { }));
        // A shape too large to load is no problem for a scan, which holds one chunk: it fails where the data runs out.
        Assert.Contains(problem == "too large" ? "data bytes but the file has 0" : problem, e.Message);
    }

    [Fact]
    public void Read_GzipWithoutTrailer_Throws()
    {
        using var dir = new TempDir();
        byte[] bytes = File.ReadAllBytes(FixtureFiles.Path("idx/labels-idx1-ubyte.gz"));
        // The deflate data is complete; only the CRC-32 and size are cut off, which GZipStream alone would accept.
        string path = dir.Write("short.gz", bytes[..^8]);
        IoAssert.Throws(path, () => Idx.Read(path), $"offset {bytes.Length - 16}", "gzip trailer");
    }

    [Fact]
    public void Read_GzipWithTrailingBytes_Throws()
    {
        using var dir = new TempDir();
        byte[] bytes = File.ReadAllBytes(FixtureFiles.Path("idx/labels-idx1-ubyte.gz"));
        string path = dir.Write("long.gz", [.. bytes, 0, 0, 0, 0]);
        IoAssert.Throws(path, () => Idx.Read(path), "gzip trailer", "trailing bytes");
    }

    [Fact]
    public void Read_GzipClaimingMoreThanDeflateCanHold_ThrowsBeforeAllocating()
    {
        using var dir = new TempDir();
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(Header(1, 1_000_000_000));
        string path = dir.Write("bomb.gz", buffer.ToArray());
        IoAssert.Throws(path, () => Idx.Read(path), "offset 8 (decompressed)", "needs 1000000000 data bytes, more than");
    }

    [Fact]
    public void Read_CorruptGzipStream_Throws()
    {
        using var dir = new TempDir();
        byte[] bytes = File.ReadAllBytes(FixtureFiles.Path("idx/images-idx3-ubyte.gz"));
        for (int i = 12; i < bytes.Length - 8; i++) bytes[i] ^= 0x5a;
        string path = dir.Write("corrupt.gz", bytes);
        IoAssert.Throws(path, () => Idx.Read(path));
    }

    [DataFact("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")]
    [Trait("Requires", "Data")]
    public void ReadImagesAndLabels_FashionMnistTestSplit_HasExpectedShape()
    {
        const string root = "/usr/share/datasets/fashion-mnist/";
        Tensor images = Idx.ReadImages(root + "t10k-images-idx3-ubyte.gz");
        int[] labels = Idx.ReadLabels(root + "t10k-labels-idx1-ubyte.gz");
        Assert.Equal([10000, 1, 28, 28], images.Shape.ToArray());
        Assert.Equal(10000, labels.Length);
        Assert.All(labels, l => Assert.InRange(l, 0, 9));
        // Fashion-MNIST's test split is balanced: 1000 images per class.
        Assert.All(labels.GroupBy(l => l), g => Assert.Equal(1000, g.Count()));
        Assert.InRange(images.Data.ToArray().Max(), 0.99f, 1f);
    }
}
