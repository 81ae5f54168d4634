// `collect --limit` honoured while reading: a gzip IDX whose header declares two million 28×28 images (all there, zeros
// after the first ten) collected with --limit 10 allocates a bounded amount on the reading thread (a whole read would be
// 1.5 GB of bytes and 6 GB of floats) and gives the atlas of a file of those ten images alone: every layer array byte
// for byte, and every atlas.db row but the dataset's content hash; an analysis session re-opens only those ten.

using System.IO.Compression;

namespace Unravel.Cli.Tests;

public sealed class CollectLimitStreamingTests : IDisposable
{
    private const int Declared = 2_000_000, Kept = 10, Side = 28;
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-collect-limit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Limit10_OnTwoMillionDeclaredImages_BoundedAllocation_SameAtlasAsTenImageFile()
    {
        var rng = new Random(5);
        var pixels = new byte[Kept * Side * Side];
        rng.NextBytes(pixels);
        byte[] labels = [.. Enumerable.Range(0, Kept).Select(i => (byte)(i * 3 % 10))];
        string small = Path.Combine(_dir, "ten-images-idx3-ubyte"), smallLabels = Path.Combine(_dir, "ten-labels-idx1-ubyte");
        File.WriteAllBytes(small, [.. IdxFiles.Header(0x0803, Kept, Side, Side), .. pixels]);
        File.WriteAllBytes(smallLabels, [.. IdxFiles.Header(0x0801, Kept), .. labels]);
        string huge = Path.Combine(_dir, "huge-images-idx3-ubyte.gz"), hugeLabels = Path.Combine(_dir, "huge-labels-idx1-ubyte.gz");
        WriteGzip(huge, [.. IdxFiles.Header(0x0803, Declared, Side, Side), .. pixels], (long)(Declared - Kept) * Side * Side);
        WriteGzip(hugeLabels, [.. IdxFiles.Header(0x0801, Declared), .. labels], Declared - Kept);

        var request = new CollectCommand.Request("small-resnet", small, "layer3,fc", Path.Combine(_dir, "ten"), K: 5, Batch: 4, Labels: smallLabels);
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(request, TextWriter.Null, TextWriter.Null));
        long before = GC.GetAllocatedBytesForCurrentThread();   // the IDX file is read and hashed on the calling thread
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(request with { Data = huge, Labels = hugeLabels, Out = Path.Combine(_dir, "huge"), Limit = Kept },
            TextWriter.Null, TextWriter.Null));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 256L << 20, $"collect --limit {Kept} allocated {allocated >> 20} MiB on the reading thread");

        string ten = Path.Combine(_dir, "ten"), limited = Path.Combine(_dir, "huge");
        Assert.Equal(Kept, AtlasReader.Open(limited).Inputs);
        // The analyses' session re-opens only the collected inputs, hash-checked against the whole file.
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(Kept, AtlasSession.Open(limited).Dataset.Count);
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 256L << 20, $"re-opening the atlas's dataset allocated {allocated >> 20} MiB");
        string[] files = [.. Directory.EnumerateFiles(Path.Combine(ten, "layers"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(ten, f)).Order()];
        Assert.Contains(files, f => f.EndsWith("mean.npy", StringComparison.Ordinal));
        Assert.Equal(files, Directory.EnumerateFiles(Path.Combine(limited, "layers"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(limited, f)).Order());
        foreach (string f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(ten, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(limited, f))), $"{f} differs");
        static List<string> Rows(string atlas) => [.. ScaleTestHelpers.DatabaseRows(atlas).Where(r => !r.StartsWith("meta|dataset_sha256|", StringComparison.Ordinal))];
        Assert.Equal(Rows(ten), Rows(limited));
        Assert.Contains(Rows(ten), r => r.StartsWith("neurons|fc|", StringComparison.Ordinal));
    }

    /// <summary>Writes <paramref name="head"/> then <paramref name="zeros"/> zero bytes, gzip-compressed.</summary>
    private static void WriteGzip(string path, byte[] head, long zeros)
    {
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write(head);
        var block = new byte[1 << 20];
        for (long left = zeros; left > 0; left -= block.Length) gzip.Write(block, 0, (int)Math.Min(block.Length, left));
    }
}
