// Property tests for DESIGN.md §9: every parser, given a truncated or corrupted file, either reads it or throws
// CheckpointFormatException naming the file, and never anything else (no IndexOutOfRange, OverflowException,
// OutOfMemory, InvalidCast, ...). Truncation covers every prefix length; corruption uses seeded random byte edits (200 per file),
// plus edits of the pickle inside otherwise valid zips (so MiniPickle sees them even if the zip layer would object).

using System.IO.Compression;
using Unravel.IO.Tests.Support;
using Xunit.Sdk;

namespace Unravel.IO.Tests;

public sealed class MalformedInputPropertyTests
{
    private static void ReadSafeTensors(string path)
    {
        using SafeTensors st = SafeTensors.Read(path);
        st.ReadAll();
    }

    private static void ReadTorch(string path)
    {
        using TorchCheckpoint ckpt = TorchCheckpoint.Open(path);
        ckpt.ReadAll();
        foreach (string name in ckpt.AllTensorNames) ckpt.GetTensorAt(name);
    }

    private static void ReadNpy(string path)
    {
        Npy.Read(path);
    }

    private static void ReadIdx(string path)
    {
        Idx.Read(path);
    }

    private static readonly Dictionary<string, Action<string>> s_readers = new()
    {
        ["safetensors"] = ReadSafeTensors,
        ["torch"] = ReadTorch,
        ["npy"] = ReadNpy,
        ["idx"] = ReadIdx,
    };

    public static TheoryData<string, string> Files => new()
    {
        { "safetensors", "safetensors/f32.safetensors" },
        { "safetensors", "safetensors/f16.safetensors" },
        { "safetensors", "safetensors/bf16.safetensors" },
        { "safetensors", "safetensors/mixed.safetensors" },
        { "torch", "torch/state_dict.pth" },
        { "torch", "torch/protocol4.pth" },
        { "torch", "torch/wrapped.pth" },
        { "npy", "npy/f4_2x3.npy" },
        { "npy", "npy/f2_4.npy" },
        { "npy", "npy/i8_2x2.npy" },
        { "npy", "npy/v2_f4.npy" },
        { "npy", "npy/scalar.npy" },
        { "idx", "idx/images-idx3-ubyte" },
        { "idx", "idx/images-idx3-ubyte.gz" },
        { "idx", "idx/labels-idx1-ubyte.gz" },
    };

    /// <summary>Runs the reader; success and CheckpointFormatException for this path are the only allowed outcomes.</summary>
    private static bool ReadsOrRejects(Action<string> reader, string path, string label)
    {
        try
        {
            reader(path);
            return true;
        }
        catch (CheckpointFormatException e) when (e.File == path)
        {
            return false;
        }
        catch (Exception e)
        {
            throw new XunitException($"{label}: {e.GetType().Name} escaped: {e.Message}\n{e.StackTrace}");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Read_EveryTruncation_ThrowsOnlyCheckpointFormatException(string format, string fixture)
    {
        using var dir = new TempDir();
        byte[] bytes = File.ReadAllBytes(FixtureFiles.Path(fixture));
        string path = dir.Path("cut");
        // Every length for small files; for larger ones (zips, where each rejection is slow) the first and last
        // 256 lengths, which hold the headers and the zip directory, and an even sample of ~300 in between.
        int step = bytes.Length <= 1024 ? 1 : Math.Max(1, bytes.Length / 300);
        for (int n = 0; n < bytes.Length; n++)
        {
            if (n >= 256 && n < bytes.Length - 256 && n % step != 0) continue;
            File.WriteAllBytes(path, bytes[..n]);
            bool read = ReadsOrRejects(s_readers[format], path, $"{fixture} cut to {n} bytes");
            Assert.False(read, $"{fixture} cut to {n} of {bytes.Length} bytes was accepted");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Read_AppendedGarbage_IsRejected(string format, string fixture)
    {
        using var dir = new TempDir();
        byte[] bytes = File.ReadAllBytes(FixtureFiles.Path(fixture));
        string path = dir.Write("long", [.. bytes, 0x42, 0x42, 0x42]);
        // A zip's directory sits at its end: bytes after it are a comment-less tail that zip readers may tolerate.
        bool read = ReadsOrRejects(s_readers[format], path, $"{fixture} + 3 bytes");
        if (format != "torch") Assert.False(read, $"{fixture} with trailing bytes was accepted");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Read_RandomByteEdits_ThrowOnlyCheckpointFormatException(string format, string fixture)
    {
        using var dir = new TempDir();
        byte[] original = File.ReadAllBytes(FixtureFiles.Path(fixture));
        var rng = new Random(fixture.Length * 7919);
        string path = dir.Path("edited");
        for (int trial = 0; trial < 200; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            int edits = 1 + rng.Next(4);
            for (int e = 0; e < edits; e++)
            {
                int at = rng.Next(bytes.Length);
                bytes[at] = rng.Next(3) switch { 0 => (byte)rng.Next(256), 1 => (byte)(bytes[at] ^ (1 << rng.Next(8))), _ => 0xff };
            }
            File.WriteAllBytes(path, bytes);
            ReadsOrRejects(s_readers[format], path, $"{fixture} trial {trial}");
        }
    }

    [Theory]
    [InlineData("torch/state_dict.pth")]
    [InlineData("torch/protocol4.pth")]
    [InlineData("torch/wrapped.pth")]
    public void Open_RandomPickleEdits_ThrowOnlyCheckpointFormatException(string fixture)
    {
        using var dir = new TempDir();
        var entries = new List<(string Name, byte[] Data)>();
        using (ZipArchive zip = ZipFile.OpenRead(FixtureFiles.Path(fixture)))
            foreach (ZipArchiveEntry e in zip.Entries)
            {
                using var ms = new MemoryStream();
                using (Stream s = e.Open()) s.CopyTo(ms);
                entries.Add((e.FullName, ms.ToArray()));
            }
        int pkl = entries.FindIndex(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
        // Every float the original checkpoint holds, by bit pattern: an edit of the pickle can rename, reshape or
        // re-slice a tensor, but it cannot create data, so whatever an accepted file yields must come from these.
        var known = new HashSet<int>();
        using (TorchCheckpoint original = TorchCheckpoint.Open(FixtureFiles.Path(fixture)))
            foreach (string name in original.AllTensorNames)
                foreach (float v in original.GetTensorAt(name).ToArray()) known.Add(BitConverter.SingleToInt32Bits(v));
        var rng = new Random(17);
        string path = dir.Path("edited.pth");
        int accepted = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] pickle = (byte[])entries[pkl].Data.Clone();
            int edits = 1 + rng.Next(3);
            for (int e = 0; e < edits; e++)
            {
                int at = rng.Next(pickle.Length);
                pickle[at] = rng.Next(2) == 0 ? (byte)rng.Next(256) : (byte)(pickle[at] ^ (1 << rng.Next(8)));
            }
            if (rng.Next(4) == 0) pickle = pickle[..rng.Next(pickle.Length)];
            using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
                for (int i = 0; i < entries.Count; i++)
                {
                    using Stream s = zip.CreateEntry(entries[i].Name, CompressionLevel.NoCompression).Open();
                    s.Write(i == pkl ? pickle : entries[i].Data);
                }
            if (!ReadsOrRejects(ReadTorch, path, $"{fixture} pickle trial {trial}")) continue;
            accepted++;
            using TorchCheckpoint edited = TorchCheckpoint.Open(path);
            foreach (string name in edited.AllTensorNames)
                foreach (float v in edited.GetTensorAt(name).ToArray())
                    Assert.True(known.Contains(BitConverter.SingleToInt32Bits(v)),
                        $"{fixture} pickle trial {trial}: tensor {name} holds {v:G9}, which no storage of the original holds");
        }
        // Edits inside key strings or of a view's offset/size still decode; the rest must be rejected.
        Assert.InRange(accepted, 1, 240);
    }
}
