// `unravel split` and `unravel visualize` on the shipped Fashion-MNIST model, over an atlas of the first test images with
// layer3 and layer3.0.conv2 collected: user mistakes end with exit code 2 and one message; a split of channel 47 into
// Trouser | Ankle boot (the pair the search finds at cosine 0.59 on 50 images; γ 0.65) preserves the logits, is stored,
// exported and re-opened by path, and collect accepts its hook point layer3.0.conv2.hook_split.

using System.CommandLine;
using System.Text.Json;

namespace Unravel.Cli.Tests;

public sealed class SplitCommandTests : IDisposable
{
    private static readonly string Images = Assets.PathOf("data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");
    private static readonly string Labels = Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz");
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-split-").FullName;
    private readonly string _atlas;

    public SplitCommandTests()
    {
        _atlas = Path.Combine(_dir, "atlas");
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request("fashion-small-resnet", Images, "layer3,layer3.0.conv2", _atlas,
            K: 12, Batch: 50, Limit: 100, Labels: Labels), TextWriter.Null, TextWriter.Null));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("split {atlas} --layer layer3 --find --limit 100", "'layer3' is a ResNetStage, not a convolution")]
    [InlineData("split {atlas} --layer layer3.0.conv2 --channel 64 --classes 1,9 --out {dir}/s1 --limit 100", "channel 64 is out of range")]
    [InlineData("split {atlas} --layer layer3.0.conv2 --channel 47 --classes 1,10 --out {dir}/s2 --limit 100", "classes 1,10")]
    [InlineData("split {atlas} --layer layer3.0.conv2 --channel 0 --classes 0,1 --out {dir}/s3 --limit 100", "is not γ-polysemantic")]
    [InlineData("split {atlas} --layer layer3.0.conv2 --channel 47 --classes 1,9 --out {atlas}/manifest.json --limit 100", "is an existing file")]
    [InlineData("split {atlas} --layer layer2.0.conv1 --find --limit 100", "no layer 'layer2.0.conv1'")]
    [InlineData("visualize fashion-small-resnet --layer layer9 --neuron 0 --out {dir}/fv.png", "'layer9' is not a hook point")]
    public async Task Mistake_ExitsTwoWithOneMessage(string line, string expected)
    {
        var error = new StringWriter();
        string[] args = line.Replace("{atlas}", _atlas).Replace("{dir}", _dir).Split(' ');
        int code = await CliRunner.InvokeAsync(CliCommands.Create(), args, error);
        string text = error.ToString();
        Assert.True(code == ExitCodes.UsageError, $"exit code {code} for `{line}`:\n{text}");
        Assert.StartsWith("error: ", text);
        Assert.Contains(expected, text);
        Assert.DoesNotContain("   at ", text);
    }

    [Fact]
    public void Split_PreservesLogits_IsStoredExportedReloadedAndCollectable()
    {
        string outDir = Path.Combine(_dir, "split-47");
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, SplitCommand.Run(new SplitCommand.Request(_atlas, "layer3.0.conv2", Gamma: 0.65, Channel: 47, Classes: "1,9", Out: outDir,
            Limit: 100, Json: true), output, TextWriter.Null));
        using JsonDocument json = JsonDocument.Parse(output.ToString());
        JsonElement root = json.RootElement;
        Assert.Equal(50, root.GetProperty("images").GetProperty("find").GetInt32());
        Assert.Equal(50, root.GetProperty("images").GetProperty("evaluation").GetInt32());
        JsonElement pair = root.GetProperty("pairs").EnumerateArray().Single();
        Assert.Equal((47, 1, 9), (pair.GetProperty("channel").GetInt32(), pair.GetProperty("class1").GetInt32(), pair.GetProperty("class2").GetInt32()));
        Assert.InRange(pair.GetProperty("cosine").GetDouble(), 0.5, 0.65);
        JsonElement split = root.GetProperty("split");
        double rho = split.GetProperty("rho").GetDouble();
        Assert.InRange(rho, 0.05, 1.0);
        // Exact surgery: the split model's logits equal the original's up to float rounding.
        Assert.InRange(split.GetProperty("max_abs_logit_diff").GetDouble(), 0, 1e-4);
        JsonElement[] classes = [.. split.GetProperty("classes").EnumerateArray()];
        Assert.Equal([1, 9], classes.Select(c => c.GetProperty("class").GetInt32()));
        foreach (JsonElement c in classes.Where(c => c.GetProperty("kept").GetInt32() > 0))
            Assert.Equal(1.0, c.GetProperty("d1_over_a").GetDouble() + c.GetProperty("d2_over_a").GetDouble() - c.GetProperty("r_over_a").GetDouble(), 3);

        // Stored: the record, the search file and the neurons-table columns.
        AtlasSession session = AtlasSession.Open(_atlas);
        var record = Unravel.Atlas.Methods.SplitMethod.Instance.Read(session.Atlas, "layer3.0.conv2", 47);
        Assert.NotNull(record);
        Assert.Equal(rho, record.Result.Card.Rho);
        Assert.Equal(3, record.Result.References.Length);
        Assert.NotNull(Unravel.Atlas.Methods.SplitMethod.Instance.ReadFind(session.Atlas, "layer3.0.conv2"));

        // Exported and re-opened by path: model.safetensors carries its architecture; the split layer loads as SplitConv2d.
        foreach (string f in new[] { "model.safetensors", "model.pth", "split-card.json" }) Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        LoadedModel reloaded = ModelReference.Load(Path.Combine(outDir, "model.safetensors"));
        Assert.Contains("layer3.0.conv2.hook_split", reloaded.Model.AllHookNames);

        // collect accepts the split hook like any layer: 64 + 2 channels.
        string atlas2 = Path.Combine(_dir, "atlas-split");
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request(Path.Combine(outDir, "model.safetensors"), Images, "layer3.0.conv2.hook_split",
            atlas2, K: 5, Batch: 20, Limit: 20, Labels: Labels), TextWriter.Null, TextWriter.Null));
        Assert.Equal(66, AtlasSession.Open(atlas2).Layer("layer3.0.conv2.hook_split").Neurons);

        // A second split of the same pair reuses the stored search.
        var again = new StringWriter();
        Assert.Equal(ExitCodes.Success, SplitCommand.Run(new SplitCommand.Request(_atlas, "layer3.0.conv2", Gamma: 0.65, Channel: 47, Classes: "1,9", Out: outDir,
            Limit: 100, Json: true), again, TextWriter.Null));
        Assert.True(JsonDocument.Parse(again.ToString()).RootElement.GetProperty("find_reused").GetBoolean());
    }

    [Fact]
    public void Visualize_SameSeedSameImage_OnTheSplitHook()
    {
        string a = Path.Combine(_dir, "a.png"), b = Path.Combine(_dir, "b.png");
        Assert.Equal(ExitCodes.Success, VisualizeCommand.Run(new VisualizeCommand.Request("fashion-small-resnet", "layer3.0.conv2", 47, null, a, Seed: 3, Steps: 8), TextWriter.Null, TextWriter.Null));
        Assert.Equal(ExitCodes.Success, VisualizeCommand.Run(new VisualizeCommand.Request("fashion-small-resnet", "layer3.0.conv2", 47, null, b, Seed: 3, Steps: 8), TextWriter.Null, TextWriter.Null));
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }
}
