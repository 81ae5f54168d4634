// `unravel collect --relevance` end to end: the top_rel_* arrays, manifest entries and AtlasReader's "rel" ranking,
// checked against LRP run directly on the same images; a language model is refused with a user error.

using System.Text.Json;
using Unravel.Interpret.Attribution;
using Unravel.Interpret.Collection;
using Unravel.Models;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Atlas;

namespace Unravel.Cli.Tests;

public sealed class CollectRelevanceCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-collect-rel-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepoFile(params string[] parts)
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Unravel.slnx"))) return Path.Combine([d.FullName, .. parts]);
        throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void CollectRelevance_WritesTopRelArrays_TopOneMatchesDirectLrp()
    {
        string data = IdxFiles.WriteRandom(_dir, 12, seed: 9, label: i => i % 10);
        string atlas = Path.Combine(_dir, "atlas");
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request("small-resnet", data, "layer3", atlas, K: 4, Batch: 5)
            { Relevance = true, RelevanceTarget = "label" }, new StringWriter(), error));
        Assert.Contains("relevance pass (epsilon-plus-flat, target label)", error.ToString());
        string log = error.ToString();
        Assert.Contains("12/12", log[log.IndexOf("relevance pass (", StringComparison.Ordinal)..]);      // its own progress bar

        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(atlas, "manifest.json")));
        JsonElement rel = manifest.RootElement.GetProperty("options").GetProperty("relevance");
        Assert.Equal("epsilon-plus-flat", rel.GetProperty("composite").GetString());
        Assert.Equal("label", rel.GetProperty("target").GetString());
        string[] files = [.. manifest.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()!)];
        foreach (string a in new[] { "indices", "values", "positions" })
        {
            Assert.Contains($"layers/layer3/top_rel_{a}.npy", files);
            Assert.True(File.Exists(Path.Combine(atlas, "layers", "layer3", $"top_rel_{a}.npy")));
        }

        // Reference: LRP on all 12 images at once (same seeded random weights), label targets, per-channel sums.
        RootModule model = ModelRegistry.Get("small-resnet").Create(WeightSource.Initialize(0));
        ImageDataset images = ImageDataset.FromIdx(data, Path.Combine(_dir, "t10k-labels-idx1-ubyte"));
        LrpResult lrp = Lrp.Attribute(model, images.Gather([.. Enumerable.Range(0, 12).Select(i => (long)i)]),
            new LrpOptions { Target = new AttributionTarget([.. images.Labels!]), RecordLayers = ["layer3"] });
        Tensor channel = lrp.ChannelRelevance("layer3");                                             // [12, C]
        int c = channel.Dim(1);
        AtlasReader reader = AtlasReader.Open(atlas);
        foreach (int neuron in new[] { 0, 17, c - 1 })
        {
            TopInputs top = reader.TopInputs("layer3", neuron, "rel");
            Assert.Equal(4, top.Inputs.Length);
            int best = Enumerable.Range(0, 12).OrderByDescending(i => channel.Data[i * c + neuron]).ThenBy(i => i).First();
            Assert.Equal(best, top.Inputs[0]);
            Assert.Equal(channel.Data[best * c + neuron], top.Values[0], 1e-4 * Math.Max(1.0, Math.Abs(top.Values[0])));
            Assert.Equal(top.Values.OrderDescending(), top.Values);
        }
    }

    [Fact]
    public void CollectRelevance_LanguageModel_UserError()
    {
        string text = Path.Combine(_dir, "text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the cat sat on the mat. ", 40)));
        string model = RepoFile("tests", "Unravel.Models.Tests", "Fixtures", "gpt2", "tiny");
        var e = Assert.Throws<UnravelUserException>(() => CollectCommand.Run(new CollectCommand.Request(model, text, "h.0", Path.Combine(_dir, "lm"))
            { Relevance = true }, new StringWriter(), new StringWriter()));
        Assert.Contains("--relevance is not supported", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "lm")));
    }
}
