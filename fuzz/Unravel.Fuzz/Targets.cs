// One fuzz target per parser of user files in Unravel.IO (and, in AtlasTargets, per atlas file in Unravel.Atlas). Each target feeds the fuzzer's bytes to the parser the way a
// user's file would reach it (a file on disk where the public API takes a path) and lets only the parser's documented
// exception type pass; anything else escapes and the fuzzer records it as a crash. Reference: SharpFuzz
// (Metzman-style AFL harness for .NET, github.com/Metalnem/sharpfuzz) and the safetensors project's fuzz targets.

using Unravel.IO;
using Unravel.IO.Images;
using Unravel.IO.Text;

namespace Unravel.Fuzz;

/// <summary>The fuzz targets by name.</summary>
public static class Targets
{
    /// <summary>Bytes over this are ignored: every parser is fed small files, so the fuzzer explores structure.</summary>
    private const int MaxInput = 1 << 20;

    // Created on first use: under AFL, instrumented Unravel.IO code must not run before SharpFuzz has set up its shared
    // coverage map, so nothing here may touch Unravel.IO in a static constructor.
    private static readonly Lazy<string> s_scratch = new(CreateScratch);

    /// <summary>The process's private scratch folder.</summary>
    internal static string Scratch => s_scratch.Value;

    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["safetensors"] = SafeTensorsFile,
        ["pth"] = PthFile,
        ["pickle"] = Pickle,
        ["pth-pickle"] = PthWithPickle,
        ["npy"] = NpyFile,
        ["idx"] = IdxFile,
        ["png"] = PngBytes,
        ["jpeg"] = JpegBytes,
        ["hf-folder"] = HuggingFace,
        ["tokenizer"] = Tokenizer,
        ["brown"] = Brown,
        ["atlas-manifest"] = AtlasTargets.Manifest,
        ["atlas-db"] = AtlasTargets.Database,
        ["atlas-record"] = AtlasTargets.MethodRecord,
    };

    /// <summary>Runs <paramref name="target"/> on <paramref name="input"/>; the documented exception is swallowed.</summary>
    public static void Run(string target, byte[] input)
    {
        if (input.Length > MaxInput) return;
        try
        {
            All[target](input);
        }
        catch (Exception e) when (e is CheckpointFormatException && !IsAtlasTarget(target) || e is AtlasFormatException && IsAtlasTarget(target))
        {
            // the documented outcome for a malformed file: CheckpointFormatException from Unravel.IO's parsers,
            // AtlasFormatException from an atlas's readers
            if (s_verbose) Console.WriteLine($"  documented: {e.Message}");
        }
    }

    private static bool IsAtlasTarget(string target) => target.StartsWith("atlas-", StringComparison.Ordinal);

    private static readonly bool s_verbose = Environment.GetEnvironmentVariable("FUZZ_VERBOSE") == "1";

    private static void SafeTensorsFile(byte[] input)
    {
        using SafeTensors file = SafeTensors.Read(Write("t.safetensors", input));
        foreach (string name in file.Names) file.GetTensor(name);
    }

    private static void PthFile(byte[] input) => PthFile(Write("t.pth", input));

    private static void PthFile(string path)
    {
        using TorchCheckpoint checkpoint = TorchCheckpoint.Open(path);
        checkpoint.ReadAll();
        foreach (string name in checkpoint.AllTensorNames) checkpoint.GetTensorAt(name);
    }

    private static void Pickle(byte[] input) => MiniPickle.Load(input, "fuzz.pth", "archive/data.pkl");

    /// <summary>The input as the data.pkl of an otherwise valid checkpoint whose storages "0".."3" hold 16 floats each:
    /// the pickle reaches TorchCheckpoint's flattening, state_dict selection and strided reads, which the zip layer of
    /// the pth target rarely lets a mutation through to.</summary>
    private static void PthWithPickle(byte[] input)
    {
        string path = Path.Combine(s_scratch.Value, "p.pth");
        using (var zip = new System.IO.Compression.ZipArchive(File.Create(path), System.IO.Compression.ZipArchiveMode.Create))
        {
            void Add(string name, byte[] data)
            {
                using Stream s = zip.CreateEntry("archive/" + name, System.IO.Compression.CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
            Add("data.pkl", input);
            for (int key = 0; key < 4; key++) Add($"data/{key}", s_storage);
            Add("version", "3\n"u8.ToArray());
        }
        PthFile(path);
    }

    private static readonly byte[] s_storage = Enumerable.Range(0, 16).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray();

    private static void NpyFile(byte[] input)
    {
        string path = Write("t.npy", input);
        Documented(() => Npy.Read(path));
        Npy.ReadInt32(path);
    }

    private static void IdxFile(byte[] input)
    {
        string path = Write("t.idx", input);
        Documented(() => Idx.ReadImages(path, limit: 3));
        Documented(() => Idx.ReadLabels(path, limit: 5));
        Idx.Read(path);
    }

    /// <summary>Chunk CRCs are recomputed first: a mutated chunk almost never keeps a valid CRC, and the decoder would
    /// stop there without reaching the code behind it (the CRC check itself is covered by the unit tests).</summary>
    private static void PngBytes(byte[] input)
    {
        FixPngCrcs(input);
        Documented(() => Png.Decode(input, "fuzz.png"));
        Png.Decode16(input, "fuzz.png", applyTransparency: true);
    }

    private static void FixPngCrcs(byte[] png)
    {
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (length > (uint)(png.Length - pos - 12)) return;
            int end = pos + 8 + (int)length;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(end), PngCrc.Compute(png.AsSpan(pos + 4, 4 + (int)length)));
            pos = end + 4;
        }
    }

    private static void JpegBytes(byte[] input) => Jpeg.Decode(input, "fuzz.jpg");

    /// <summary>Input: config.json, a NUL byte, then model.safetensors.index.json; the folder holds one fixed shard.</summary>
    private static void HuggingFace(byte[] input)
    {
        string dir = Path.Combine(s_scratch.Value, "hf");
        string shard = Path.Combine(dir, "model-00001-of-00001.safetensors");
        if (!File.Exists(shard))
            SafeTensors.Write(shard, new Dictionary<string, Unravel.Tensors.Tensor> { ["wte.weight"] = Unravel.Tensors.Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2) });
        (byte[] config, byte[] index) = Split(input);
        Write(Path.Combine("hf", "config.json"), config);
        Write(Path.Combine("hf", "model.safetensors.index.json"), index);
        using HuggingFaceFolder folder = HuggingFaceFolder.Open(dir);
        folder.ReadAll();
    }

    /// <summary>Input: encoder.json, a NUL byte, then vocab.bpe; a loaded tokenizer also round-trips a sample text.</summary>
    private static void Tokenizer(byte[] input)
    {
        (byte[] encoder, byte[] merges) = Split(input);
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.Load(Write("encoder.json", encoder), Write("vocab.bpe", merges));
        int[] ids = tokenizer.Encode("Hello world, it's  a test<|endoftext|> \u00e9\n", allowSpecial: true);
        tokenizer.Decode(ids);
    }

    private static void Brown(byte[] input)
    {
        foreach (IReadOnlyList<BrownToken> sentence in BrownCorpus.ReadSentences(Write("ca01", input)))
            BrownCorpus.Detokenize(sentence);
    }

    /// <summary>Runs one of several readers on the same input; only the documented exception may end it.</summary>
    private static void Documented(Action read)
    {
        try
        {
            read();
        }
        catch (CheckpointFormatException)
        {
        }
    }

    private static (byte[] First, byte[] Second) Split(byte[] input)
    {
        int nul = Array.IndexOf(input, (byte)0);
        return nul < 0 ? (input, []) : (input[..nul], input[(nul + 1)..]);
    }

    private static string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(s_scratch.Value, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A private folder (RAM-backed when /dev/shm exists), removed at exit.</summary>
    private static string CreateScratch()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string dir = Path.Combine(root, $"unravel-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(Path.Combine(dir, "hf"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return dir;
    }
}
