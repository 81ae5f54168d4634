using System.CommandLine;
using System.Text.Json;
using Unravel.Models;

namespace Unravel.Cli.Tests;

public sealed class CommandTests
{
    private static string RepoFile(params string[] parts)
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Unravel.slnx"))) return Path.Combine([d.FullName, .. parts]);
        throw new InvalidOperationException("repository root not found");
    }

    private static async Task<(int Code, string Error)> Invoke(params string[] args)
    {
        RootCommand root = new() { ModelsCommand.Create(), InspectCommand.Create(), RunCommand.Create() };
        var error = new StringWriter();
        int code = await CliRunner.InvokeAsync(root, args, error);
        return (code, error.ToString());
    }

    [Fact]
    public void Models_Json_ListsEveryRegistryPreset()
    {
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, ModelsCommand.Run(json: true, output));
        using JsonDocument doc = JsonDocument.Parse(output.ToString());
        string[] names = doc.RootElement.GetProperty("architectures").EnumerateArray().Select(a => a.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(ModelRegistry.Architectures.Select(a => a.Name), names);
        Assert.Contains("resnet50", names);
        Assert.Contains("gpt2", names);
    }

    [Fact]
    public void Inspect_SmallResNet_TracesShapesAndCountsParameters()
    {
        var output = new StringWriter();
        InspectCommand.Run("small-resnet", null, json: true, output);
        using JsonDocument doc = JsonDocument.Parse(output.ToString());
        JsonElement[] modules = doc.RootElement.GetProperty("modules").EnumerateArray().ToArray();
        int[] Shape(string path) => modules.Single(m => m.GetProperty("path").GetString() == path)
            .GetProperty("output_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        // 28×28 input: stage strides 1, 2, 2 → 28, 14, 7; global pool; 10 classes.
        Assert.Equal([1, 32, 28, 28], Shape("layer1.0"));
        Assert.Equal([1, 64, 14, 14], Shape("layer2.0.conv1"));
        Assert.Equal([1, 128, 7, 7], Shape("layer3.0"));
        Assert.Equal([1, 10], Shape("fc"));
        // fc: 128·10 weights + 10 biases.
        Assert.Equal(1290, modules.Single(m => m.GetProperty("path").GetString() == "fc").GetProperty("parameters").GetInt64());
        Assert.Contains("layer1.0.hook_add", modules.Single(m => m.GetProperty("path").GetString() == "layer1.0")
            .GetProperty("hooks").EnumerateArray().Select(h => h.GetString()));
    }

    [Fact]
    public async Task Run_UnknownModel_ExitsWithUsageErrorAndHint()
    {
        string prompt = Path.GetTempFileName();
        (int code, string error) = await Invoke("run", "no-such-model", "--input", prompt);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("'no-such-model' is neither a file", error);
        Assert.Contains("hint:", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task Run_CheckpointWithoutArch_AsksForArch()
    {
        string ckpt = RepoFile("tests", "Unravel.Models.Tests", "Fixtures", "vision", "checkpoints", "resnet18_w6", "model.pth");
        (int code, string error) = await Invoke("run", ckpt, "--input", ckpt);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--arch", error);
    }

    [Fact]
    public async Task Run_WrongArchitecture_ListsMisshapedKeys()
    {
        string ckpt = RepoFile("tests", "Unravel.Models.Tests", "Fixtures", "vision", "checkpoints", "resnet18_w6", "model.pth");
        (int code, string error) = await Invoke("run", ckpt, "--arch", "resnet18", "--input", ckpt);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("conv1.weight: checkpoint [6, 3, 7, 7], model expects [64, 3, 7, 7]", error);
    }

    [Fact]
    public async Task Run_TruncatedCheckpoint_NamesTheFile()
    {
        string src = RepoFile("tests", "Unravel.Models.Tests", "Fixtures", "vision", "checkpoints", "resnet18_w6", "model.safetensors");
        string bad = Path.Combine(Path.GetTempPath(), $"truncated-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(bad, File.ReadAllBytes(src)[..100]);
        (int code, string error) = await Invoke("run", bad, "--arch", "resnet18", "--input", bad);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains(Path.GetFileName(bad), error);
        File.Delete(bad);
    }

    [Fact]
    public async Task Run_LanguageModelWithSmallVocabulary_ExplainsTheTokenizerMismatch()
    {
        string folder = RepoFile("tests", "Unravel.Models.Tests", "Fixtures", "gpt2", "tiny");
        string prompt = Path.GetTempFileName();
        File.WriteAllText(prompt, "Hello world");
        (int code, string error) = await Invoke("run", folder, "--input", prompt);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("512", error);
        Assert.Contains("50257", error);
    }

    [Fact]
    public void Run_SmallCnnOnImage_ProbabilitiesSumToOneAndAreSorted()
    {
        string image = RepoFile("tests", "Unravel.IO.Tests", "Fixtures", "images", "jpeg", "base420_q75_37x53.jpg");
        var output = new StringWriter();
        RunCommand.Run("small-resnet", image, null, top: 10, json: true, output);
        using JsonDocument doc = JsonDocument.Parse(output.ToString());
        float[] p = doc.RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetProperty("probability").GetSingle()).ToArray();
        Assert.Equal(10, p.Length);
        Assert.Equal(1f, p.Sum(), 1e-4f);                          // all 10 classes shown: softmax sums to 1
        Assert.True(p.Zip(p.Skip(1)).All(t => t.First >= t.Second));
        Assert.True(doc.RootElement.GetProperty("random_weights").GetBoolean());
    }
}
