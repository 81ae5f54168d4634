// `unravel split` and `unravel visualize` on the shipped Fashion-MNIST model, over an atlas of the first test images with
// layer3 and layer3.0.conv2 collected: user mistakes end with exit code 2 and one message; a split of channel 47 into
// Coat | Sneaker (the only pair the search finds on the shipped model, cosine 0.799 on 50 images; γ 0.8) preserves the logits, is stored,
// exported and re-opened by path, stores seeded feature visualisations of the original and both split channels that the
// report's split panel shows; collect, concepts and attribute accept its hook point layer3.0.conv2.hook_split (the
// concept rows minus the shared row sum, through the merge, to the original channel; CRP relevance is additive over a
// partition of its channels); `visualize ATLAS --method concepts` stores one image per concept vector; the search run
// as three channel shards, in two orders, and merged by `merge-records` stores the unsharded search's find.json.

using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Report;
using Unravel.IO.Images;

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
    [InlineData("split {atlas} --layer layer3.0.conv2 --channel 47 --classes 1,9 --out {dir}/s4 --fv-steps -1", "--fv-steps must be 0")]
    [InlineData("visualize {atlas} --layer layer3 --neuron 5 --method concepts", "has no stored concept vectors")]
    [InlineData("visualize {atlas} --layer layer3 --neuron 5 --method split", "method 'split' has no stored directions")]
    [InlineData("visualize {atlas} --layer layer3 --neuron 5 --method pure --out {dir}/x.png", "--direction, --out and --arch are for a model")]
    [InlineData("visualize fashion-small-resnet --layer layer3 --neuron 5 --method pure", "is not an atlas folder")]
    [InlineData("visualize fashion-small-resnet --layer layer3 --neuron 5", "--out is required")]
    [InlineData("split {atlas} --layer layer3.0.conv2 --channel 47 --classes 1,9 --out {dir}/s5 --neurons-shard 0/2", "--neurons-shard fans out the search (--find) only")]
    [InlineData("split {atlas} --layer layer3.0.conv2 --find --neurons-shard 2/2", "--neurons-shard 2/2 is not i/n")]
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
        Assert.Equal(ExitCodes.Success, SplitCommand.Run(new SplitCommand.Request(_atlas, "layer3.0.conv2", Gamma: 0.8, Channel: 47, Classes: "4,7", Out: outDir,
            Limit: 100, Json: true, FvSteps: 4), output, TextWriter.Null));
        using JsonDocument json = JsonDocument.Parse(output.ToString());
        JsonElement root = json.RootElement;
        Assert.Equal(50, root.GetProperty("images").GetProperty("find").GetInt32());
        Assert.Equal(50, root.GetProperty("images").GetProperty("evaluation").GetInt32());
        JsonElement pair = root.GetProperty("pairs").EnumerateArray().Single();
        Assert.Equal((47, 4, 7), (pair.GetProperty("channel").GetInt32(), pair.GetProperty("class1").GetInt32(), pair.GetProperty("class2").GetInt32()));
        Assert.InRange(pair.GetProperty("cosine").GetDouble(), 0.7, 0.8);
        JsonElement split = root.GetProperty("split");
        double rho = split.GetProperty("rho").GetDouble();
        Assert.InRange(rho, 0.05, 1.0);
        // Exact surgery: the split model's logits equal the original's up to float rounding.
        Assert.InRange(split.GetProperty("max_abs_logit_diff").GetDouble(), 0, 1e-4);
        JsonElement[] classes = [.. split.GetProperty("classes").EnumerateArray()];
        Assert.Equal([4, 7], classes.Select(c => c.GetProperty("class").GetInt32()));
        foreach (JsonElement c in classes.Where(c => c.GetProperty("kept").GetInt32() > 0))
            Assert.Equal(1.0, c.GetProperty("d1_over_a").GetDouble() + c.GetProperty("d2_over_a").GetDouble() - c.GetProperty("r_over_a").GetDouble(), 3);

        // Stored: the record, the search file and the neurons-table columns.
        AtlasSession session = AtlasSession.Open(_atlas);
        var record = Unravel.Atlas.Methods.SplitMethod.Instance.Read(session.Atlas, "layer3.0.conv2", 47);
        Assert.NotNull(record);
        Assert.Equal(rho, record.Result.Card.Rho);
        Assert.Equal(3, record.Result.References.Length);
        Assert.NotNull(Unravel.Atlas.Methods.SplitMethod.Instance.ReadFind(session.Atlas, "layer3.0.conv2"));

        // Feature visualisations beside the record: the original channel on the original model, the concept rows of the split
        // hook on the edited one, seeded with the split's seed; the report's split panel shows each next to its references.
        FeatureImagesFile? fv = FeatureImageStore.Read(session.Atlas, "split", "layer3.0.conv2", 47);
        Assert.NotNull(fv);
        Assert.Equal(["original", "concept 1", "concept 2"], fv.Images.Select(i => i.Name));
        Assert.Equal([("layer3.0.conv2", 47), ("layer3.0.conv2.hook_split", 47), ("layer3.0.conv2.hook_split", 64)], fv.Images.Select(i => (i.Hook, i.Channel!.Value)));
        Assert.All(fv.Images, i => Assert.Equal((session.Atlas.Seed, 4), (i.Seed, i.Steps)));
        string folder = Path.GetDirectoryName(FeatureImageStore.IndexPath(session.Atlas, "split", "layer3.0.conv2", 47))!;
        byte[][] pngs = [.. fv.Images.Select(i => File.ReadAllBytes(Path.Combine(folder, i.File)))];
        Assert.All(pngs, p => Assert.Equal((28, 28), (Png.Decode(p).Width, Png.Decode(p).Height)));
        // The original channel's image is `unravel visualize` of the same channel, seed and steps, byte for byte.
        string cli = Path.Combine(_dir, "cli.png");
        Assert.Equal(ExitCodes.Success, VisualizeCommand.Run(new VisualizeCommand.Request("fashion-small-resnet", "layer3.0.conv2", 47, null, cli, Seed: session.Atlas.Seed, Steps: 4), TextWriter.Null, TextWriter.Null));
        Assert.Equal(File.ReadAllBytes(cli), pngs[0]);
        string page = new HtmlReport(session.Atlas, ReportSources.None, ReportMode.Static).NeuronPage(session.Atlas.Layer("layer3.0.conv2"), 47);
        foreach (string name in new[] { "original", "concept 1", "concept 2" })
            Assert.Contains($"<figure class=\"fv\" data-fv=\"{name}\"><img src=\"data:image/png;base64,", page);

        // Exported and re-opened by path: model.safetensors carries its architecture; the split layer loads as SplitConv2d.
        foreach (string f in new[] { "model.safetensors", "model.pth", "split-card.json" }) Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        LoadedModel reloaded = ModelReference.Load(Path.Combine(outDir, "model.safetensors"));
        Assert.Contains("layer3.0.conv2.hook_split", reloaded.Model.AllHookNames);

        // collect accepts the split hook like any layer: 64 + 2 channels.
        string atlas2 = Path.Combine(_dir, "atlas-split");
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request(Path.Combine(outDir, "model.safetensors"), Images, "layer3.0.conv2.hook_split",
            atlas2, K: 5, Batch: 20, Limit: 20, Labels: Labels), TextWriter.Null, TextWriter.Null));
        AtlasSession split2 = AtlasSession.Open(atlas2);
        Assert.Equal(66, split2.Layer("layer3.0.conv2.hook_split").Neurons);
        // Through the merge, concept 1 + concept 2 − shared = the original channel: the mean-pooled rows of the split atlas
        // against the original atlas's channel 47, per input (the same first 20 images).
        float[] rows = split2.Atlas.ReadFloat("layer3.0.conv2.hook_split", "pooled_mean").Data.ToArray();
        float[] original = session.Atlas.ReadFloat("layer3.0.conv2", "pooled_mean").Data.ToArray();
        long[] rowInputs = split2.Atlas.ReadInt64("layer3.0.conv2.hook_split", "pooled_indices").Data, origInputs = session.Atlas.ReadInt64("layer3.0.conv2", "pooled_indices").Data;
        for (int i = 0; i < rowInputs.Length; i++)
        {
            int j = Array.IndexOf(origInputs, rowInputs[i]);
            Assert.True(j >= 0);
            double merged = (double)rows[i * 66 + 47] + rows[i * 66 + 64] - rows[i * 66 + 65];
            Assert.True(Math.Abs(merged - original[j * 64 + 47]) <= 1e-5 * Math.Max(1, Math.Abs(original[j * 64 + 47])), $"input {rowInputs[i]}: {merged} vs {original[j * 64 + 47]}");
        }
        // concepts accept the split hook: a record over its 66 channels for the concept-2 row.
        Assert.Equal(ExitCodes.Success, ConceptsCommand.Run(new ConceptsCommand.Request(atlas2, "layer3.0.conv2.hook_split", Neurons: "64", MinSize: 2), TextWriter.Null, TextWriter.Null));
        var concepts = ConceptsMethod.Instance.Read(split2.Atlas, "layer3.0.conv2.hook_split", 64);
        Assert.NotNull(concepts);
        Assert.All(concepts.Result.Concepts, c => Assert.Equal(66, c.Vector.Length));
        Assert.Equal(split2.Atlas.TopInputs("layer3.0.conv2.hook_split", 64, "mean").Inputs, concepts.Result.TopInputs);
        // attribute runs the split model (same explained class and logit as the original: the function is unchanged) and
        // accepts the split hook as a CRP condition, which keeps only part of the relevance of the explained logit.
        JsonElement Attribute(string model, string[] conditions)
        {
            var o = new StringWriter();
            Assert.Equal(ExitCodes.Success, AttributeCommand.Run(new AttributeCommand.Request(model, Images, 0, "epsilon-plus-flat",
                conditions, null, false, null, 1e-6f, 1e-6f, 0.25f, null, Path.Combine(_dir, "attr.png"), 0, 12, true), o));
            return JsonDocument.Parse(o.ToString()).RootElement.Clone();
        }
        JsonElement before = Attribute("fashion-small-resnet", []), after = Attribute(Path.Combine(outDir, "model.safetensors"), []);
        JsonElement rowsOnly = Attribute(Path.Combine(outDir, "model.safetensors"), ["layer3.0.conv2.hook_split:47,64,65"]);
        Assert.Equal(before.GetProperty("explained_class").GetProperty("id").GetInt32(), after.GetProperty("explained_class").GetProperty("id").GetInt32());
        Assert.Equal(before.GetProperty("explained_class").GetProperty("logit").GetDouble(), after.GetProperty("explained_class").GetProperty("logit").GetDouble(), 1e-4);
        double all = after.GetProperty("relevance").GetProperty("at_input").GetDouble(), part = rowsOnly.GetProperty("relevance").GetProperty("at_input").GetDouble();
        Assert.True(double.IsFinite(part) && part != 0 && Math.Abs(part - all) > 1e-3 * Math.Abs(all), $"conditioned {part} vs unconditioned {all}");

        // A second split of the same pair reuses the stored search.
        var again = new StringWriter();
        Assert.Equal(ExitCodes.Success, SplitCommand.Run(new SplitCommand.Request(_atlas, "layer3.0.conv2", Gamma: 0.8, Channel: 47, Classes: "4,7", Out: outDir,
            Limit: 100, Json: true, FvSteps: 4), again, TextWriter.Null));
        Assert.True(JsonDocument.Parse(again.ToString()).RootElement.GetProperty("find_reused").GetBoolean());
        // Deterministic: the same seed and steps store the same images.
        FeatureImagesFile fv2 = FeatureImageStore.Read(session.Atlas, "split", "layer3.0.conv2", 47)!;
        Assert.Equal(pngs, fv2.Images.Select(i => File.ReadAllBytes(Path.Combine(folder, i.File))));
    }

    [Fact]
    public void FindShards_InAnyOrder_MergeToTheUnshardedSearch()
    {
        string whole = ScaleTestHelpers.CopyAtlas(_atlas, Path.Combine(_dir, "whole"));
        string forward = ScaleTestHelpers.CopyAtlas(_atlas, Path.Combine(_dir, "forward")), shuffled = ScaleTestHelpers.CopyAtlas(_atlas, Path.Combine(_dir, "shuffled"));
        Assert.Equal(ExitCodes.Success, SplitCommand.Run(new SplitCommand.Request(whole, "layer3.0.conv2", Find: true, Gamma: 0.8, Limit: 100), TextWriter.Null, TextWriter.Null));
        string expected = Find(whole);
        Assert.Contains("\"channel\":47,\"class1\":4,\"class2\":7", expected);   // the pair the search finds, so the merge has candidates to join
        foreach ((string atlas, int[] order) in new[] { (forward, new[] { 0, 1, 2 }), (shuffled, new[] { 2, 0, 1 }) })
        {
            for (int k = 0; k < order.Length; k++)
            {
                if (k == 2)
                {
                    var e = Assert.ThrowsAny<UnravelException>(() => MergeRecordsCommand.Run(atlas, TextWriter.Null));
                    Assert.Contains($"split find on 'layer3.0.conv2': shard(s) {order[2]} of 3 have not written their search", e.Message);
                }
                var error = new StringWriter();
                Assert.Equal(ExitCodes.Success, SplitCommand.Run(new SplitCommand.Request(atlas, "layer3.0.conv2", Find: true, Gamma: 0.8, Limit: 100)
                    { NeuronsShard = $"{order[k]}/3" }, TextWriter.Null, error));
                Assert.Contains($"neurons shard {order[k]}/3 from command line", error.ToString());
            }
            Assert.False(File.Exists(Path.Combine(atlas, "methods", "split", "layer3.0.conv2", "find.json")));   // shards leave find.json alone
            var output = new StringWriter();
            Assert.Equal(ExitCodes.Success, MergeRecordsCommand.Run(atlas, output));
            Assert.Equal("split find on layer3.0.conv2: 3 shards, 64 channels searched → find.json", output.ToString().Trim());
            Assert.False(Directory.Exists(Path.Combine(atlas, "methods", "split", "layer3.0.conv2", "shards")));
            Assert.Equal(expected, Find(atlas));
        }
    }

    /// <summary>The stored search of layer3.0.conv2 without its time stamp.</summary>
    private static string Find(string atlas)
    {
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(atlas, "methods", "split", "layer3.0.conv2", "find.json")))!.AsObject();
        Assert.True(file["provenance"]!.AsObject().Remove("created_utc"));
        return file.ToJsonString();
    }

    [Fact]
    public void Visualize_SameSeedSameImage_OnTheSplitHook()
    {
        string a = Path.Combine(_dir, "a.png"), b = Path.Combine(_dir, "b.png");
        Assert.Equal(ExitCodes.Success, VisualizeCommand.Run(new VisualizeCommand.Request("fashion-small-resnet", "layer3.0.conv2", 47, null, a, Seed: 3, Steps: 8), TextWriter.Null, TextWriter.Null));
        Assert.Equal(ExitCodes.Success, VisualizeCommand.Run(new VisualizeCommand.Request("fashion-small-resnet", "layer3.0.conv2", 47, null, b, Seed: 3, Steps: 8), TextWriter.Null, TextWriter.Null));
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }

    [Fact]
    public void VisualizeAtlas_Concepts_OneImagePerConceptShownOnTheNeuronPage()
    {
        Assert.Equal(ExitCodes.Success, ConceptsCommand.Run(new ConceptsCommand.Request(_atlas, "layer3", Neurons: "0", MinSize: 2), TextWriter.Null, TextWriter.Null));
        AtlasReader atlas = AtlasReader.Open(_atlas);
        ConceptRecord[] concepts = ConceptsMethod.Instance.Read(atlas, "layer3", 0)!.Result.Concepts;
        Assert.NotEmpty(concepts);
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, VisualizeCommand.Run(new VisualizeCommand.Request(_atlas, "layer3", 0, null, null, Seed: 2, Steps: 4, Json: true, Method: "concepts"),
            output, TextWriter.Null));
        FeatureImagesFile fv = FeatureImageStore.Read(atlas, "concepts", "layer3", 0)!;
        Assert.Equal(concepts.Select(c => $"concept {c.Id}"), fv.Images.Select(i => i.Name));
        Assert.All(fv.Images, i => Assert.Equal(("layer3", "direction", 2, 4), (i.Hook, i.Objective, i.Seed, i.Steps)));
        // The stored objective is the mean positional cosine with the concept vector: within [−1, 1].
        Assert.All(fv.Images, i => Assert.InRange(i.Value, -1, 1));
        Assert.Equal(fv.Images.Length, JsonDocument.Parse(output.ToString()).RootElement.GetProperty("images").GetArrayLength());
        string page = new HtmlReport(atlas, ReportSources.None, ReportMode.Static).NeuronPage(atlas.Layer("layer3"), 0);
        foreach (ConceptRecord c in concepts) Assert.Contains($"data-fv=\"concept {c.Id}\"", page);
    }
}
