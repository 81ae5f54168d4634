// `unravel pure` end to end on a tiny atlas (seeded small-resnet over 40 random IDX images): the per-neuron JSON and the
// atlas.db rows follow ATLAS.md, a re-run replaces rather than duplicates, and user mistakes give usage errors.

using System.Buffers.Binary;
using System.CommandLine;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Unravel.Cli.Tests;

public sealed class PureCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-pure-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Collects layer2 and layer3 of a seeded small-resnet over 40 random 28×28 images (top-8 per neuron).</summary>
    private string Atlas()
    {
        const int n = 40;
        var rng = new Random(21);
        var images = new byte[16 + n * 28 * 28];
        BinaryPrimitives.WriteInt32BigEndian(images, 0x0803);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), n);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 28);
        rng.NextBytes(images.AsSpan(16));
        string data = Path.Combine(_dir, "images-idx3-ubyte");
        File.WriteAllBytes(data, images);
        string atlas = Path.Combine(_dir, "atlas");
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request("small-resnet", data, "layer2,layer3", atlas, K: 8, Batch: 20), TextWriter.Null, TextWriter.Null));
        return atlas;
    }

    private static object? Scalar(string atlas, string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(atlas, "atlas.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using SqliteCommand c = db.CreateCommand();
        c.CommandText = sql;
        return c.ExecuteScalar();
    }

    [Fact]
    public void Pure_TinyAtlas_WritesNeuronJsonAndDatabaseRows()
    {
        string atlas = Atlas();
        var output = new StringWriter();
        var error = new StringWriter();
        var request = new PureCommand.Request(atlas, "layer3", Neurons: "5,77", References: 8, Evaluate: true, CompareNaive: 2);
        Assert.Equal(ExitCodes.Success, PureCommand.Run(request, output, error));
        Assert.Contains("layer3 ← layer2", output.ToString());
        Assert.Contains("sub-network only", output.ToString());
        Assert.Contains("judge-kmeans", output.ToString());
        Assert.Contains("naive baseline", output.ToString());
        Assert.Contains("ETA", error.ToString());

        int kSum = 0;
        foreach (int neuron in new[] { 5, 77 })
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(atlas, "methods", "pure", "layer3", $"neuron_{neuron}.json")));
            JsonElement provenance = doc.RootElement.GetProperty("provenance");
            Assert.Equal("pure", provenance.GetProperty("method").GetString());
            Assert.Equal(neuron, doc.RootElement.GetProperty("neuron").GetInt32());
            Assert.Equal("layer2", provenance.GetProperty("options").GetProperty("lower_layer").GetString());
            JsonElement r = doc.RootElement.GetProperty("result");
            Assert.Equal("layer2", r.GetProperty("lower_layer").GetString());
            int k = r.GetProperty("k").GetInt32();
            kSum += k;
            long[] refs = r.GetProperty("references").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.InRange(refs.Length, 1, 8);
            Assert.Equal(refs.Length, r.GetProperty("labels").GetArrayLength());
            Assert.Equal(refs.Length, r.GetProperty("circuits").GetArrayLength());
            Assert.Equal(64, r.GetProperty("circuits")[0].GetArrayLength());              // small-resnet layer2 has 64 channels
            JsonElement vns = r.GetProperty("virtual_neurons");
            Assert.Equal(k, vns.GetArrayLength());
            Assert.Equal(refs.Order(), vns.EnumerateArray().SelectMany(v => v.GetProperty("members").EnumerateArray().Select(e => e.GetInt64())).Order());
            Assert.Equal(64, vns[0].GetProperty("centroid").GetArrayLength());
            Assert.Equal(Convert.ToInt64(k), Scalar(atlas, $"SELECT pure_k FROM neurons WHERE layer = 'layer3' AND idx = {neuron}"));
            if (k >= 2) Assert.True(r.GetProperty("evaluation").GetProperty("methods").TryGetProperty("pure", out _));
        }
        Assert.Equal(Convert.ToInt64(kSum), Scalar(atlas, "SELECT COUNT(*) FROM virtual_neurons WHERE layer = 'layer3'"));

        // A re-run replaces the rows of the neurons it covers.
        Assert.Equal(ExitCodes.Success, PureCommand.Run(request with { Evaluate = false, CompareNaive = 0, K = "3" }, TextWriter.Null, TextWriter.Null));
        long rows = (long)Scalar(atlas, "SELECT COUNT(*) FROM virtual_neurons WHERE layer = 'layer3'")!;
        Assert.Equal(rows, (long)Scalar(atlas, "SELECT SUM(pure_k) FROM neurons WHERE layer = 'layer3'")!);
        Assert.True(rows > kSum);
    }

    [Fact]
    public void Pure_Json_ListsNeuronsAndLowerLayer()
    {
        string atlas = Atlas();
        var output = new StringWriter();
        PureCommand.Run(new PureCommand.Request(atlas, "layer2", Neurons: "3", References: 6, K: "auto", Json: true), output, TextWriter.Null);
        using JsonDocument doc = JsonDocument.Parse(output.ToString());
        Assert.Equal("layer1", doc.RootElement.GetProperty("lower_layer").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("neurons")[0].GetProperty("neuron").GetInt32());
    }

    [Theory]
    [InlineData("--layer", "layer9", "layer9", "layer3")]
    [InlineData("--lower", "layer7", "layer7", "layer1")]
    [InlineData("--neurons", "128", "128", "0 … 127")]
    [InlineData("--k", "many", "many", "auto")]
    public async Task Pure_UserMistake_UsageErrorNamesIt(string option, string value, string named, string listed)
    {
        string atlas = Atlas();
        string[] args = option == "--layer" ? ["pure", atlas, "--layer", value] : ["pure", atlas, "--layer", "layer3", option, value];
        var error = new StringWriter();
        int code = await CliRunner.InvokeAsync(new RootCommand { PureCommand.Create() }, args, error);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains(named, error.ToString());
        Assert.Contains(listed, error.ToString());
        Assert.DoesNotContain("   at ", error.ToString());
    }
}
