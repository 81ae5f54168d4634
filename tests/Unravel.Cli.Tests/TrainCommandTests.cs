// `unravel train … --init WEIGHTS`: stage 2 of a two-stage recipe starts from the given weights with a fresh
// optimizer and schedule, is deterministic, and its card records the init file's SHA-256 and the previous stage.
// Data: a tiny Fashion-MNIST folder (plain IDX files) cut from the shipped test set.

using System.CommandLine;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Unravel.IO;
using Unravel.Tensors;

namespace Unravel.Cli.Tests;

public sealed class TrainCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "unravel-train-" + Guid.NewGuid().ToString("N"));

    public TrainCommandTests()
    {
        Directory.CreateDirectory(_dir);
        string source = RepoFile("assets", "data", "fashion-mnist");
        byte[] images = Gunzip(Path.Combine(source, "t10k-images-idx3-ubyte.gz")), labels = Gunzip(Path.Combine(source, "t10k-labels-idx1-ubyte.gz"));
        // IDX: big-endian magic and dims, then the bytes; images header 16 bytes, labels 8 bytes.
        WriteIdx("train", images, labels, first: 0, count: 64);
        WriteIdx("t10k", images, labels, first: 64, count: 64);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static string RepoFile(params string[] parts)
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Unravel.slnx"))) return Path.Combine([d.FullName, .. parts]);
        throw new InvalidOperationException("repository root not found");
    }

    private static byte[] Gunzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    private void WriteIdx(string split, byte[] images, byte[] labels, int first, int count)
    {
        static byte[] BigEndian(params int[] v) => v.SelectMany(x => new[] { (byte)(x >> 24), (byte)(x >> 16), (byte)(x >> 8), (byte)x }).ToArray();
        File.WriteAllBytes(Path.Combine(_dir, $"{split}-images-idx3-ubyte"), [.. BigEndian(0x803, count, 28, 28), .. images.AsSpan(16 + first * 784, count * 784)]);
        File.WriteAllBytes(Path.Combine(_dir, $"{split}-labels-idx1-ubyte"), [.. BigEndian(0x801, count), .. labels.AsSpan(8 + first, count)]);
    }

    /// <summary>Trains on the 64-image folder, 16 of them validation unless <paramref name="extra"/> passes --validation.</summary>
    private async Task<(int Code, string Error)> Train(string name, float lr, int seed, string[]? extra = null, string arch = "small-resnet-16", int epochs = 1)
    {
        RootCommand root = new() { TrainCommand.Create() };
        var error = new StringWriter();
        string[] args = ["train", "fashion-mnist", "--data", _dir, "--out", Path.Combine(_dir, name, "model.safetensors"), "--arch", arch,
            "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--batch", "16", "--lr", lr.ToString(System.Globalization.CultureInfo.InvariantCulture), "--warmup", "0",
            "--crop-padding", "0", "--eval-subset", "32", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--threads", "1", "--checkpoint", Path.Combine(_dir, name + ".ckpt"), .. extra ?? [],
            .. extra?.Contains("--validation") == true ? [] : new[] { "--validation", "16" }];
        int code = await CliRunner.InvokeAsync(root, args, error);
        return (code, error.ToString());
    }

    private Dictionary<string, Tensor> Weights(string name)
    {
        using SafeTensors f = SafeTensors.Read(Path.Combine(_dir, name, "model.safetensors"));
        return f.ReadAll().ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    private static double MaxDiff(Tensor a, Tensor b) => a.Data.ToArray().Zip(b.Data.ToArray()).Max(t => Math.Abs((double)t.First - t.Second));

    [Fact]
    public async Task Train_WithInit_ContinuesFromTheWeightsDeterministically()
    {
        Assert.Equal(ExitCodes.Success, (await Train("stage1", 0.1f, seed: 0)).Code);
        string init = Path.Combine(_dir, "stage1", "model.safetensors");
        // Stage 2 at a tiny rate: 4 SGD steps of size ~1e-6 leave the weights next to stage 1's (a fresh init with
        // seed 1 would be ~0.1 away), but not equal to them.
        Assert.Equal(ExitCodes.Success, (await Train("stage2a", 1e-6f, seed: 1, ["--init", init])).Code);
        Assert.Equal(ExitCodes.Success, (await Train("stage2b", 1e-6f, seed: 1, ["--init", init])).Code);
        Assert.Equal(ExitCodes.Success, (await Train("fresh", 1e-6f, seed: 1)).Code);

        Dictionary<string, Tensor> s1 = Weights("stage1"), s2a = Weights("stage2a"), s2b = Weights("stage2b"), fresh = Weights("fresh");
        Assert.Equal(s1.Keys.Order(), s2a.Keys.Order());
        Assert.True(File.ReadAllBytes(Path.Combine(_dir, "stage2a", "model.safetensors")).AsSpan()
            .SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, "stage2b", "model.safetensors"))), "same --init, seed and threads: bit-identical weights");
        foreach (string key in new[] { "conv1.weight", "layer2.0.conv2.weight", "fc.weight" })
        {
            double moved = MaxDiff(s1[key], s2a[key]);
            Assert.InRange(moved, 1e-12, 1e-4);
            Assert.True(MaxDiff(s1[key], fresh[key]) > 1e-2, $"{key}: the run without --init starts elsewhere");
        }

        using JsonDocument card = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "stage2a", "model.json")));
        using JsonDocument card1 = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "stage1", "model.json")));
        JsonElement entry = card.RootElement.GetProperty("init");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(init))), entry.GetProperty("sha256").GetString());
        Assert.Equal(card1.RootElement.GetProperty("metrics").GetProperty("test_accuracy").GetDouble(),
            entry.GetProperty("previous_stage").GetProperty("metrics").GetProperty("test_accuracy").GetDouble());
        Assert.False(card1.RootElement.TryGetProperty("init", out _));
    }

    [Fact]
    public async Task Train_InitMissingFile_ExitsWithUsageErrorAndHint()
    {
        (int code, string error) = await Train("missing", 0.1f, seed: 0, ["--init", Path.Combine(_dir, "nope.safetensors")]);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("nope.safetensors: no such file", error);
        Assert.Contains("hint:", error);
    }

    [Fact]
    public async Task Train_InitOfOtherArchitecture_ListsMisshapedKeys()
    {
        Assert.Equal(ExitCodes.Success, (await Train("stage1", 0.1f, seed: 0, ["--max-steps", "1"])).Code);
        (int code, string error) = await Train("wrong", 0.1f, seed: 0, ["--init", Path.Combine(_dir, "stage1", "model.safetensors")], arch: "small-cnn");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--init", error);
        Assert.Contains("conv1.weight", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task Train_StopAtThenResume_WritesTheUninterruptedRunsWeights()
    {
        Assert.Equal(ExitCodes.Success, (await Train("whole", 0.05f, seed: 3)).Code);
        // 64 images at batch 16: 4 steps; stop after 2 with a checkpoint, then continue in a second process-like run.
        Assert.Equal(ExitCodes.Success, (await Train("cut", 0.05f, seed: 3, ["--stop-at", "2"])).Code);
        Assert.False(File.Exists(Path.Combine(_dir, "cut", "model.safetensors")), "a stopped run writes no final weights");
        Assert.Equal(ExitCodes.Success, (await Train("cut", 0.05f, seed: 3, ["--resume"])).Code);
        Dictionary<string, Tensor> whole = Weights("whole"), resumed = Weights("cut");
        Assert.Equal(whole.Keys.Order(), resumed.Keys.Order());
        foreach ((string key, Tensor t) in whole)
            Assert.True(t.Data.SequenceEqual(resumed[key].Data), $"{key}: resumed weights differ from the uninterrupted run");
    }

    [Fact]
    public async Task Train_WithValidation_SelectsOnValidationAndScoresTheTestSetOnce()
    {
        // 64 training images, 16 of them validation: 3 steps per epoch, 3 epochs, one evaluation at each epoch end.
        (int code, string error) = await Train("val", 0.05f, seed: 2, ["--validation", "16"], epochs: 3);
        Assert.True(code == ExitCodes.Success, error);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "val", "model.json")));
        JsonElement card = doc.RootElement;
        JsonElement[] evals = [.. card.GetProperty("selection").GetProperty("evaluations").EnumerateArray()];
        Assert.Equal([3L, 6L, 9L], evals.Select(e => e.GetProperty("step").GetInt64()));
        Assert.All(evals, e => Assert.Equal(16, e.GetProperty("count").GetInt32()));   // all validation images, never the test set
        // The kept step has the best validation accuracy, the earliest among ties.
        double best = evals.Max(e => e.GetProperty("accuracy").GetDouble());
        long expected = evals.First(e => e.GetProperty("accuracy").GetDouble() == best).GetProperty("step").GetInt64();
        Assert.Equal(expected, card.GetProperty("selection").GetProperty("selected_step").GetInt64());
        Assert.Equal(best, card.GetProperty("metrics").GetProperty("validation_accuracy").GetDouble(), 4);

        // The split: 16 validation indices out of 64 by the recorded rule, their labels counted per class.
        var split = Unravel.Models.Training.ValidationSplit.Carve(64, 16, 0);
        JsonElement v = card.GetProperty("data").GetProperty("validation");
        Assert.Equal(split.ValidationSha256(), v.GetProperty("indices_sha256").GetString());
        byte[] labels = File.ReadAllBytes(Path.Combine(_dir, "train-labels-idx1-ubyte"))[8..];
        Assert.Equal(Enumerable.Range(0, 10).Select(k => split.Validation.Count(i => labels[i] == k)), v.GetProperty("class_counts").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(_dir, "val", "model.safetensors")))),
            card.GetProperty("weights_sha256").GetString());
    }

    [Theory]
    [InlineData("64")]
    [InlineData("-1")]
    public async Task Train_ValidationOutOfRange_ExitsWithUsageError(string validation)
    {
        (int code, string error) = await Train("bad", 0.05f, seed: 0, ["--validation", validation]);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--validation", error);
        Assert.Contains("hint:", error);
        Assert.DoesNotContain("   at ", error);
    }
}
