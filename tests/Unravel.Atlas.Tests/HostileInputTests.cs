// Bounded resources and clear errors on hostile or careless input: an architecture far larger than its checkpoint
// (gpt2-xl on the 0.3 MB Fashion weights, a 120-byte config.json) is refused before the model is built; NaN weights are
// refused naming the tensor; weights whose SHA-256 differs from their card are refused; a manifest field of the wrong
// type is an atlas-format error naming the field; an IDX dataset read with a limit loads only that many images yet keeps
// the whole file's content hash, so atlases collected before still re-open.
// The shipped models and Fashion-MNIST test files are part of the checkout (assets/).

using System.Text.Json.Nodes;
using Unravel.Interpret.Collection;
using Unravel.IO;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Atlas.Tests;

public sealed class HostileInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-atlas-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string FashionWeights => Assets.PathOf("models", "fashion-small-resnet", "model.safetensors");

    [Fact]
    public void WrongArch_Gpt2XlOnFashionWeights_RefusedBeforeTheModelIsBuilt()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.ThrowsAny<UnravelException>(() => ModelReference.Load(FashionWeights, "gpt2-xl"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("model.safetensors", e.Message);
        // gpt2-xl's parameters alone are 6.2 GB; the refusal must come at its first large missing tensor.
        Assert.True(allocated < 256L << 20, $"allocated {allocated >> 20} MiB before refusing");
    }

    [Fact]
    public void TinyConfigOfAHugeGpt2_RefusedBeforeTheModelIsBuilt()
    {
        string folder = Path.Combine(_dir, "hf");
        Directory.CreateDirectory(folder);
        string config = """{"model_type":"gpt2","n_layer":48,"n_embd":1600,"n_head":25,"vocab_size":50257,"n_positions":1024}""";
        Assert.True(config.Length <= 120);
        File.WriteAllText(Path.Combine(folder, "config.json"), config);
        File.Copy(FashionWeights, Path.Combine(folder, "model.safetensors"));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.ThrowsAny<UnravelException>(() => ModelReference.Load(folder));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 256L << 20, $"allocated {allocated >> 20} MiB before refusing");
    }

    [Fact]
    public void NanWeights_RefusedNamingTheTensor()
    {
        LoadedModel loaded = ModelReference.Load("fashion-small-resnet");
        IReadOnlyDictionary<string, Tensor> state = loaded.Model.StateDict();
        string name = state.Keys.Order(StringComparer.Ordinal).First(k => k.EndsWith(".weight", StringComparison.Ordinal));
        state[name].Data[3] = float.NaN;
        state[name].Data[5] = float.PositiveInfinity;
        string file = Path.Combine(_dir, "nan.safetensors");
        SafeTensors.Write(file, state, ModelReference.Metadata(loaded.Architecture, loaded.Model));
        var e = Assert.ThrowsAny<UnravelException>(() => ModelReference.Load(file));
        Assert.Contains($"tensor '{name}'", e.Message);
        Assert.Contains("holds 2 non-finite values", e.Message);
    }

    [Fact]
    public void CardWithOtherWeightsSha256_Refused_MatchingOneLoads()
    {
        string folder = Path.Combine(_dir, "carded");
        Directory.CreateDirectory(folder);
        File.Copy(FashionWeights, Path.Combine(folder, "model.safetensors"));
        void Card(string sha) => File.WriteAllText(Path.Combine(folder, "model.json"), new JsonObject
        {
            ["name"] = "copy", ["architecture"] = "small-resnet-16", ["weights"] = "model.safetensors", ["weights_sha256"] = sha,
        }.ToJsonString());
        Card(new string('0', 64));
        var e = Assert.ThrowsAny<UnravelException>(() => ModelReference.Load(folder));
        Assert.Contains("differs from 000000000000… recorded in the model card of copy", e.Message);
        Card(ModelReference.Sha256Of(FashionWeights));
        Assert.Equal("small-resnet-16", ModelReference.Load(folder).Architecture);
    }

    [Theory]
    [InlineData("seed", "\"seven\"")]
    [InlineData("model", "{\"architecture\": 12}")]
    [InlineData("dataset", "{\"inputs\": \"many\", \"spec\": {\"kind\": \"idx\"}}")]
    public void ManifestFieldOfTheWrongType_AtlasFormatErrorNamingIt(string field, string json)
    {
        string atlas = TinyAtlas.Write(_dir);
        string manifest = Path.Combine(atlas, "manifest.json");
        JsonObject m = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        m[field] = JsonNode.Parse(json);
        File.WriteAllText(manifest, m.ToJsonString());
        var e = Assert.Throws<AtlasFormatException>(() => AtlasSession.Open(atlas));
        Assert.Contains($"manifest.json: the field \"{field}.", e.Message.Replace($"\"{field}\"", $"\"{field}.", StringComparison.Ordinal));
    }

    [Fact]
    public void IdxWithLimit_ReadsOnlyThatManyImages_KeepsTheWholeFileHash()
    {
        string images = Assets.PathOf("data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");
        string labels = Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz");
        ImageDataset full = ImageDataset.FromIdx(images, labels);
        ImageDataset first = ImageDataset.FromIdx(images, labels, 40);
        Assert.Equal(10_000, full.Count);
        Assert.Equal(40, first.Count);
        Assert.Equal(full.Labels!.Take(40), first.Labels!);
        Assert.Equal(full.ContentSha256, first.ContentSha256);
        Assert.Equal(full.ContentSha256, ImageDataset.FromIdx(images, labels, 10_000).ContentSha256);
    }
}
