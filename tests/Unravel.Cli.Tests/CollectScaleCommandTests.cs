// `unravel collect --shard` + `unravel merge` against a single `collect` (every array), image-folder data end to end
// (manifest spec, AtlasSources re-opening it with the same content hash), and NaN activations reported per layer.

using Unravel.Interpret.Collection;
using Unravel.IO;
using Unravel.IO.Images;
using Unravel.Models;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Atlas;

namespace Unravel.Cli.Tests;

public sealed class CollectScaleCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-collect-scale-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ShardsMerged_EqualOneCollect_EveryArray()
    {
        string data = IdxFiles.WriteRandom(_dir, 45, seed: 8, label: i => i * 7 % 10);
        string single = Path.Combine(_dir, "single");
        var request = new CollectCommand.Request("small-resnet", data, "layer2,fc", single, K: 6, Batch: 8);
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(request, TextWriter.Null, TextWriter.Null));
        for (int i = 0; i < 3; i++)
        {
            var output = new StringWriter();
            CollectCommand.Run(request with { Out = Path.Combine(_dir, $"s{i}"), Shard = $"{i}/3" }, output, TextWriter.Null);
            int[] bounds = [0, 8, 24, 45];   // ⌊i·45/3⌋ = 0, 15, 30 rounded down to multiples of the batch (8)
            Assert.Contains($"shard {i}/3: inputs {bounds[i]} … {bounds[i + 1] - 1}", output.ToString());
        }
        string merged = Path.Combine(_dir, "merged");
        var mergeOutput = new StringWriter();
        MergeCommand.Run([Path.Combine(_dir, "s2"), Path.Combine(_dir, "s0"), Path.Combine(_dir, "s1")], merged, crops: false, force: false, mergeOutput);
        Assert.Contains("merged 3 shards (45 inputs, 2 layers)", mergeOutput.ToString());

        foreach (string file in Directory.EnumerateFiles(Path.Combine(single, "layers"), "*.npy", SearchOption.AllDirectories))
        {
            string other = Path.Combine(merged, Path.GetRelativePath(single, file));
            Assert.True(File.Exists(other), other);
            string name = Path.GetFileNameWithoutExtension(file);
            if (name is "mean" or "std")
            {
                float[] a = Npy.Read(file).ToArray(), b = Npy.Read(other).ToArray();
                for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-6f * Math.Max(1f, Math.Abs(a[i])));
            }
            else
            {
                Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(other)), $"{name} differs");
            }
        }
        Assert.Equal(45, AtlasReader.Open(merged).Inputs);
        Assert.False(File.Exists(Path.Combine(single, AtlasWriter.StateFile)));   // only shards carry their state
    }

    [Fact]
    public void Merge_ShardsInAnyOrder_GiveTheSameAtlas()
    {
        string data = IdxFiles.WriteRandom(_dir, 45, seed: 9, label: i => i * 3 % 10);
        var request = new CollectCommand.Request("small-resnet", data, "layer3,fc", "", K: 5, Batch: 8);
        string[] shards = [.. Enumerable.Range(0, 3).Select(i => Path.Combine(_dir, $"s{i}"))];
        for (int i = 0; i < 3; i++) CollectCommand.Run(request with { Out = shards[i], Shard = $"{i}/3" }, TextWriter.Null, TextWriter.Null);
        int[][] orders = [[0, 1, 2], [2, 0, 1], [1, 2, 0]];
        string[] merged = [.. orders.Select((order, k) => Path.Combine(_dir, $"merged{k}"))];
        for (int k = 0; k < orders.Length; k++)
            MergeCommand.Run([.. orders[k].Select(i => shards[i])], merged[k], crops: false, force: false, TextWriter.Null);

        string[] files = [.. Directory.EnumerateFiles(Path.Combine(merged[0], "layers"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(merged[0], f)).Order()];
        Assert.Contains(files, f => f.EndsWith("mean.npy", StringComparison.Ordinal));
        foreach (string other in merged.Skip(1))
        {
            Assert.Equal(files, Directory.EnumerateFiles(Path.Combine(other, "layers"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(other, f)).Order());
            foreach (string f in files)
                Assert.True(File.ReadAllBytes(Path.Combine(merged[0], f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(other, f))), $"{f} differs in {other}");
            Assert.Equal(ManifestWithoutRunFields(merged[0]), ManifestWithoutRunFields(other));
            Assert.Equal(ScaleTestHelpers.DatabaseRows(merged[0]), ScaleTestHelpers.DatabaseRows(other));
        }
        Assert.NotEmpty(ScaleTestHelpers.DatabaseRows(merged[0]));
        Assert.Equal(45, AtlasReader.Open(merged[0]).Inputs);
    }

    /// <summary>The manifest without what differs between runs by design: when, how long, and the command line as typed.</summary>
    private static string ManifestWithoutRunFields(string atlas)
    {
        var m = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(atlas, "manifest.json")))!.AsObject();
        foreach (string key in new[] { "created_utc", "timings_s", "command" }) Assert.True(m.Remove(key), key);
        return m.ToJsonString();
    }

    [Fact]
    public void BadShard_IsAUsageError()
    {
        string data = IdxFiles.WriteRandom(_dir, 4, seed: 8, label: i => i * 7 % 10);
        var e = Assert.ThrowsAny<UnravelException>(() =>
            CollectCommand.Run(new CollectCommand.Request("small-resnet", data, "fc", Path.Combine(_dir, "x")) { Shard = "3/3" }, TextWriter.Null, TextWriter.Null));
        Assert.Contains("--shard 3/3", e.Message);
    }

    [Fact]
    public void ImageFolder_CollectsWithClassLabels_AndReopens()
    {
        string root = Path.Combine(_dir, "images");
        var rng = new Random(3);
        foreach (string cls in new[] { "shirt", "Boot", "bag" })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            for (int i = 0; i < 3; i++)
            {
                var image = Image.Create(28, 28, 1);
                rng.NextBytes(image.Pixels);
                Png.Write(Path.Combine(root, cls, $"{i}.png"), image);
            }
        }
        string atlas = Path.Combine(_dir, "atlas");
        var request = new CollectCommand.Request("small-resnet", root, "layer3", atlas, K: 3, Batch: 4) { Mean = "0.5", Std = "0.25", Crops = true };
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(request, TextWriter.Null, TextWriter.Null));
        AtlasReader reader = AtlasReader.Open(atlas);
        DatasetSpec spec = reader.Dataset!;
        Assert.Equal("image-folder", spec.Kind);
        Assert.Equal([0.5f], spec.Mean!);
        Assert.Equal([0, 1, 2], reader.Layer("layer3").Classes);   // Boot, bag, shirt: ordinal order, as torchvision sorts
        Assert.True(File.Exists(Path.Combine(atlas, "layers", "layer3", "crops", "n0_r0.png")));

        var reopened = (ImageDataset)AtlasSession.Open(atlas).Dataset;
        Assert.Equal(reader.DatasetSha256, reopened.ContentSha256);
        Assert.Equal([0, 0, 0, 1, 1, 1, 2, 2, 2], reopened.Labels);
    }

    [Fact]
    public void BrownFolder_TokenActivations_ReopenAndRender()
    {
        string corpus = Path.Combine(_dir, "brown");
        Directory.CreateDirectory(corpus);
        string sentence = "\tThe/at jury/nn said/vbd it/pps did/dod find/vb that/cs many/ap of/in Atlanta's/np$ laws/nns were/bed outmoded/jj ./.\n";
        File.WriteAllText(Path.Combine(corpus, "ca01"), string.Concat(Enumerable.Repeat(sentence, 6)));
        File.WriteAllText(Path.Combine(corpus, "cb01"), string.Concat(Enumerable.Repeat(sentence.Replace("jury", "court"), 6)));
        string atlas = Path.Combine(_dir, "text-atlas");
        const string layer = "h.0.mlp.hook_post";
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request("brown-gpt2", corpus, layer, atlas, K: 3, Batch: 4, Window: 12, Bos: true),
            TextWriter.Null, TextWriter.Null));
        AtlasReader reader = AtlasReader.Open(atlas);
        Assert.Equal("brown", reader.Dataset!.Kind);
        AtlasSession session = AtlasSession.Open(atlas);
        LoadedModel model = session.Model;
        var data = (TokenWindowDataset)session.Dataset;
        Assert.Equal(reader.DatasetSha256, data.ContentSha256);

        TopInputs top = reader.TopInputs(layer, 7);
        IReadOnlyList<TokenActivation> stored = ReferenceVisuals.TokenWindow(reader, data, Assets.Tokenizer(), layer, 7, 0);
        IReadOnlyList<TokenActivation> live = ReferenceVisuals.TokenWindow(model.Model, data, Assets.Tokenizer(), layer, 7, top.Inputs[0]);
        Assert.Equal(12, stored.Count);
        Assert.Equal("<|endoftext|>", stored[0].Text);
        Assert.Equal(data.Window(top.Inputs[0]).ToArray(), stored.Select(t => t.Token).ToArray());
        for (int t = 0; t < 12; t++) Assert.Equal(live[t].Activation, stored[t].Activation, 5);
        float peak = stored.Max(t => t.Activation);
        Assert.Equal(top.Values[0], peak, 5);
        Assert.Equal(top.Positions[0], stored.Select(t => t.Activation).ToList().IndexOf(peak));
    }

    [Fact]
    public void NanWeights_RefusedNamingTheTensor()
    {
        // Non-finite weights make every output non-finite: the model reference refuses them before anything runs (they
        // used to be collected, with the NaN activations counted per layer and left out of the rankings).
        RootModule model = ModelRegistry.Get("small-resnet").Create(WeightSource.Initialize(0));
        var state = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        Tensor bias = state["fc.bias"].Clone();
        bias.Data[3] = float.NaN;
        state["fc.bias"] = bias;
        string weights = Path.Combine(_dir, "nan.safetensors");
        SafeTensors.Write(weights, state);
        string data = IdxFiles.WriteRandom(_dir, 12, seed: 8, label: i => i * 7 % 10);
        UnravelException e = Assert.ThrowsAny<UnravelException>(() => CollectCommand.Run(
            new CollectCommand.Request(weights, data, "layer3,fc", Path.Combine(_dir, "nan"), Arch: "small-resnet", K: 2, Batch: 5),
            new StringWriter(), new StringWriter()));
        Assert.Contains("'fc.bias'", e.Message);
        Assert.Contains("1 non-finite value", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "nan")), "no atlas is written");
    }
}
