// Hostile files that declare more than they hold, or that expand when read: each is refused with
// CheckpointFormatException (or read within its limit) while the test thread allocates a bounded amount. Allocation is
// measured with GC.GetAllocatedBytesForCurrentThread, so a reader that allocates the declared size fails the bound
// even when the machine has the memory.

using System.Buffers.Binary;
using System.IO.Compression;
using Unravel.IO.Images;
using Unravel.IO.Tests.Support;
using Unravel.Tensors;

namespace Unravel.IO.Tests;

public sealed class BoundedResourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static long Allocated(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>{"bomb": (L0, ..., L40)} where L0 = [0] and Lk = [L(k-1)] * 16, each level memoized and fetched 16 times: 1.5 KB of
    /// pickle (a 1.7 KB .pth), 16^40 leaves when flattened.</summary>
    private static byte[] MemoBombPickle(int levels = 40, int fanOut = 16)
    {
        // The levels stay on the stack (MiniPickle has no POP) and end up in one tuple: {"bomb": (L0, L1, ..., L40)}.
        var p = new PickleWriter().Proto().EmptyDict().Str("bomb").Mark();
        p.EmptyList().Int(0).Append().Put(0);
        for (int level = 1; level <= levels; level++)
        {
            p.EmptyList().Mark();
            for (int i = 0; i < fanOut; i++) p.Get((byte)(level - 1));
            p.Raw((byte)'e').Put((byte)level); // APPENDS, then memoize the new list
        }
        return p.Tuple().SetItem().Stop().ToArray();
    }

    [Fact]
    public void Pth_MemoBombOf1700Bytes_RefusedWithBoundedAllocation()
    {
        string path = _dir.Path("bomb.pth");
        PickleWriter.WriteZip(path, MemoBombPickle());
        Assert.InRange(new FileInfo(path).Length, 1024, 2048);
        long allocated = Allocated(() =>
            IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "references the same nested containers", "bomb"));
        Assert.True(allocated < 256L << 20, $"allocated {allocated >> 20} MiB");
    }

    [Fact]
    public void Pth_SharedDictUnderTwoKeys_StillLoads()
    {
        // {"model": sd, "ema": sd}: the same dict twice, as a user's training script may save it.
        byte[] pickle = new PickleWriter().Proto().EmptyDict()
            .Str("model").EmptyDict().Put(0).Str("w").Tensor("0", 2, 0, [2], [1]).SetItem().SetItem()
            .Str("ema").Get(0).SetItem()
            .Stop().ToArray();
        string path = _dir.Path("shared.pth");
        PickleWriter.WriteZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = PickleWriter.Floats(1f, 2f) });
        using TorchCheckpoint checkpoint = TorchCheckpoint.Open(path, "model");
        Assert.Equal(["model.w", "ema.w"], checkpoint.AllTensorNames);
        Assert.Equal([1f, 2f], checkpoint.GetTensor("w").Data.ToArray());
    }

    [Fact]
    public void Pth_StorageBeyondLargestTensor_RefusedBeforeReading()
    {
        const long count = 1L << 31;
        byte[] pickle = new PickleWriter().Proto().EmptyDict().Str("w").Tensor("0", count, 0, [1], [1]).SetItem().Stop().ToArray();
        string path = _dir.Path("huge.pth");
        PickleWriter.WriteZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = PickleWriter.Floats(1f) });
        long allocated = Allocated(() =>
            IoAssert.Throws(path, () => TorchCheckpoint.Open(path), $"FloatStorage of {count} elements is larger than the largest supported tensor"));
        Assert.True(allocated < 16L << 20, $"allocated {allocated >> 20} MiB");
    }

    [Fact]
    public void ReadFloats_InSlices_MatchesOneRead()
    {
        // Storages past 2 GiB are read in slices; a slice of 3 elements exercises the same loop on 10 elements.
        float[] values = [1f, -2f, 3.5f, float.NaN, 0f, -0f, 7f, 8f, float.PositiveInfinity, 10f];
        var whole = new float[values.Length];
        var sliced = new float[values.Length];
        TorchCheckpoint.ReadFloats(new MemoryStream(PickleWriter.Floats(values)), whole);
        TorchCheckpoint.ReadFloats(new MemoryStream(PickleWriter.Floats(values)), sliced, sliceElements: 3);
        Assert.Equal(BitsOf(values), BitsOf(whole));
        Assert.Equal(BitsOf(values), BitsOf(sliced));
        Assert.Throws<EndOfStreamException>(() => TorchCheckpoint.ReadFloats(new MemoryStream(PickleWriter.Floats(1f, 2f)), new float[3], 2));
    }

    private static uint[] BitsOf(float[] values) => Array.ConvertAll(values, BitConverter.SingleToUInt32Bits);

    [LargeMemoryFact(12)]
    public void Pth_TensorOver2GiB_ReadsWholeValues()
    {
        // 2^29 + 4 float32 = 2 GiB + 16 bytes: the byte length overflows an int span. Zeros compress 1000:1 (2 MB file).
        const int count = (1 << 29) + 4;
        string path = _dir.Path("big.pth");
        byte[] pickle = new PickleWriter().Proto().EmptyDict().Str("w").Tensor("0", count, 0, [count], [1]).SetItem().Stop().ToArray();
        using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
        {
            using (Stream s = zip.CreateEntry("archive/data.pkl").Open()) s.Write(pickle);
            using (Stream s = zip.CreateEntry("archive/data/0", CompressionLevel.Fastest).Open())
            {
                var zeros = new byte[1 << 24];
                for (long written = 0; written < 4L * count - 16; written += zeros.Length)
                    s.Write(zeros, 0, (int)Math.Min(zeros.Length, 4L * count - 16 - written));
                s.Write(PickleWriter.Floats(1f, 2f, 3f, 4f)); // the last four elements, past the 2 GiB mark
            }
        }
        using TorchCheckpoint checkpoint = TorchCheckpoint.Open(path);
        Tensor w = checkpoint.GetTensor("w");
        Assert.Equal(count, w.Length);
        Assert.Equal([0f, 1f, 2f, 3f, 4f], w.Data[^5..].ToArray());
    }

    /// <summary>An IDX images file of 2.7M declared 28x28 images whose data is all there: the header and first image in
    /// one gzip member, then the zero images as repeats of one member of 1024 zero images (gzip allows concatenated
    /// members), about 2 MB in all and quick to write.</summary>
    private string WriteHugeZeroImages(int images)
    {
        const int Block = 1024;
        static byte[] Gzip(byte[] data)
        {
            var buffer = new MemoryStream();
            using (var gz = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true)) gz.Write(data);
            return buffer.ToArray();
        }
        var first = new byte[16 + 28 * 28];
        first[2] = 0x08;
        first[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(first.AsSpan(4), images);
        BinaryPrimitives.WriteInt32BigEndian(first.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(first.AsSpan(12), 28);
        first[16] = 255;                   // the first image's first pixel is white, every other pixel black
        string path = _dir.Path("huge-images-idx3-ubyte.gz");
        using FileStream file = File.Create(path);
        file.Write(Gzip(first));
        byte[] zeros = Gzip(new byte[28 * 28 * Block]);
        for (int done = 1; done < images; done += Block)
            file.Write(done + Block <= images ? zeros : Gzip(new byte[28 * 28 * (images - done)]));
        return path;
    }

    [Fact]
    public void Idx_GzipOf2_7MImages_LimitReadsOnlyTheFirstImages()
    {
        string path = WriteHugeZeroImages(2_700_000);
        Assert.InRange(new FileInfo(path).Length, 1L << 20, 4L << 20);
        Tensor images = null!;
        long allocated = Allocated(() => images = Idx.ReadImages(path, limit: 100));
        Assert.Equal([100, 1, 28, 28], images.Shape);
        Assert.Equal(1f, images.Data[0]);
        Assert.Equal(0f, images.Data[1]);
        Assert.True(allocated < 8L << 20, $"allocated {allocated >> 20} MiB for 100 images");
        int[] labels = null!;
        Assert.Equal(0, Allocated(() => labels = Idx.ReadLabels(WriteLabels(5), limit: 0)) >> 20);
        Assert.Empty(labels);
    }

    private string WriteLabels(int n)
    {
        var bytes = new byte[8 + n];
        bytes[2] = 0x08;
        bytes[3] = 1;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), n);
        for (int i = 0; i < n; i++) bytes[8 + i] = (byte)(i % 10);
        return _dir.Write("labels.idx", bytes);
    }

    [Fact]
    public void Idx_GzipClaimingMoreThanItHolds_FailsWithoutAllocatingTheClaim()
    {
        // The header claims 60,000 images (47 MB) but the stream ends after 1,000 random ones (0.8 MB, which could hold
        // the claim at deflate's best ratio): the buffer grows with the data, never to the claim.
        string path = _dir.Path("short.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        {
            var header = new byte[16];
            header[2] = 0x08;
            header[3] = 3;
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 60_000);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 28);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 28);
            gz.Write(header);
            var noise = new byte[1000 * 28 * 28];
            new Random(1).NextBytes(noise);
            gz.Write(noise);
        }
        long allocated = Allocated(() => IoAssert.Throws(path, () => Idx.ReadImages(path), "needs 47040000 data bytes but the file has 784000"));
        Assert.True(allocated < 8L << 20, $"allocated {allocated >> 20} MiB");
    }

    [Theory]
    [InlineData("idx/images-idx3-ubyte")]
    [InlineData("idx/images-idx3-ubyte.gz")]
    [InlineData("idx/labels-idx1-ubyte.gz")]
    public void Idx_Limit_MatchesTheFirstItemsOfAFullRead(string fixture)
    {
        string path = FixtureFiles.Path(fixture);
        IdxArray all = Idx.Read(path), first = Idx.Read(path, 1);
        Assert.True(all.Shape[0] > 1);
        Assert.Equal([1, .. all.Shape[1..]], first.Shape);
        Assert.Equal(all.Data[..first.Data.Length], first.Data);
        Assert.Equal(all.Data, Idx.Read(path, int.MaxValue).Data);
        Assert.Equal(all.Data, Idx.Read(path, all.Shape[0]).Data);
        Assert.Throws<ArgumentOutOfRangeException>(() => Idx.Read(path, -1));
    }

    [Fact]
    public void HuggingFace_ConfigOverTheSizeLimit_RefusedBeforeReading()
    {
        string folder = Directory.CreateDirectory(_dir.Path("hf")).FullName;
        string config = Path.Combine(folder, "config.json");
        using (FileStream f = File.Create(config)) f.SetLength(HuggingFaceFolder.MaxJsonBytes + 1); // sparse: no disk used
        long allocated = Allocated(() => IoAssert.Throws(config, () => HuggingFaceFolder.Open(folder), "limit for a config or index file"));
        Assert.True(allocated < 4L << 20, $"allocated {allocated >> 20} MiB");
    }

    [Fact]
    public void Png_TinyFileDeclaring16384x16384Rgba16_RefusedBeforeAllocating()
    {
        // A valid 1x1 RGBA16 PNG whose IHDR is patched to 16384x16384 (2^28 pixels, the size limit): the image buffer
        // would be 2 GiB, but 20-odd bytes of IDAT cannot hold more than ~20 KB of scanlines.
        byte[] png = Png.Encode(Image.Create(1, 1, 4));
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 16384);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 16384);
        png[24] = 16; // bit depth
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), PngCrc.Compute(png.AsSpan(12, 17)));
        long allocated = Allocated(() => IoAssert.Throws("big.png", () => Png.Decode(png, "big.png"), "cannot hold a 16384x16384 image"));
        Assert.True(allocated < 16L << 20, $"allocated {allocated >> 20} MiB");
    }

    [Fact]
    public void Jpeg_TinyFileDeclaring16384x16384_RefusedBeforeAllocating()
    {
        // An 8x8 baseline JPEG whose SOF0 is patched to 16384x16384: 768 MB of coefficients for a file of ~600 bytes.
        byte[] jpeg = File.ReadAllBytes(FixtureFiles.Path("images/jpeg/base420_q80_8x8.jpg"));
        int sof = Enumerable.Range(2, jpeg.Length - 9).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 16384);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 16384);
        long allocated = Allocated(() => IoAssert.Throws("big.jpg", () => Jpeg.Decode(jpeg, "big.jpg"), "image is 16384x16384", "more 8x8 blocks"));
        Assert.True(allocated < 16L << 20, $"allocated {allocated >> 20} MiB");
    }
}
