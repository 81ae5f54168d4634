// `unravel concepts` end to end on a tiny atlas collected by the test (random small-resnet-16, 60 IDX images): the JSON
// and atlas.db results are checked against the atlas's own pooled vectors and top-k table, and user errors.

using System.Buffers.Binary;
using System.CommandLine;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Unravel.Interpret.Collection;
using Unravel.Tensors;
using Unravel.Atlas;

namespace Unravel.Cli.Tests;

public sealed class ConceptsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-concepts-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Collects layer2 of a random small-resnet-16 over n images whose brightness depends on the class.</summary>
    private string Atlas(int n, bool pooled = true)
    {
        static byte[] Be(params int[] values)
        {
            var b = new byte[4 * values.Length];
            for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 * i), values[i]);
            return b;
        }
        var rng = new Random(11);
        byte[] pixels = Enumerable.Range(0, n * 784).Select(p => (byte)Math.Min(255, (p / 784 % 10) * 20 + rng.Next(60))).ToArray();
        string images = Path.Combine(_dir, "t10k-images-idx3-ubyte");
        File.WriteAllBytes(images, [.. Be(0x0803, n, 28, 28), .. pixels]);
        File.WriteAllBytes(Path.Combine(_dir, "t10k-labels-idx1-ubyte"), [.. Be(0x0801, n), .. Enumerable.Range(0, n).Select(i => (byte)(i % 10))]);
        string atlas = Path.Combine(_dir, pooled ? "atlas" : "atlas-no-pooled");
        CollectCommand.Run(new CollectCommand.Request("small-resnet-16", images, "layer2", atlas, K: 20, Batch: 32, KeepPooled: pooled), TextWriter.Null, TextWriter.Null);
        return atlas;
    }

    private static async Task<(int Code, string Error)> Invoke(params string[] args)
    {
        RootCommand root = new() { ConceptsCommand.Create() };
        var error = new StringWriter();
        int code = await CliRunner.InvokeAsync(root, args, error);
        return (code, error.ToString());
    }

    private static long Scalar(string atlas, string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(atlas, "atlas.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using SqliteCommand cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Concepts_TwoNeurons_WriteJsonConsistentWithTheAtlas()
    {
        string atlas = Atlas(60);
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Success, ConceptsCommand.Run(new ConceptsCommand.Request(atlas, "layer2", Neurons: "0,3", Cut: "rel:3", MinSize: 2, TopK: 20), output, error));
        Assert.Contains("concepts per neuron:", output.ToString());
        Assert.Contains("mean label entropy", output.ToString());

        AtlasReader reader = AtlasReader.Open(atlas);
        (Tensor pooled, long[] rowInputs) = reader.Pooled("layer2");
        int c = pooled.Shape[1];
        float[] Row(long input) => pooled.Data.Slice(Array.IndexOf(rowInputs, input) * c, c).ToArray();
        foreach (int neuron in new[] { 0, 3 })
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(atlas, "methods", "concepts", "layer2", $"neuron_{neuron}.json")));
            Assert.Equal("concepts", doc.RootElement.GetProperty("provenance").GetProperty("method").GetString());
            Assert.Equal(neuron, doc.RootElement.GetProperty("neuron").GetInt32());
            JsonElement j = doc.RootElement.GetProperty("result");
            Assert.Equal("mean", j.GetProperty("ranking").GetString());
            long[] top = j.GetProperty("top_inputs").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(reader.TopInputs("layer2", neuron, "mean").Inputs, top);
            Assert.Equal(top.Length - 1, j.GetProperty("linkage").GetArrayLength());
            Assert.Equal(top.Length, j.GetProperty("labels").GetArrayLength());
            JsonElement concepts = j.GetProperty("concepts");
            Assert.Equal(concepts.GetArrayLength(), j.GetProperty("polysemanticity").GetProperty("concepts").GetInt32());
            Assert.Equal(concepts.GetArrayLength(), Scalar(atlas, $"SELECT concepts FROM neurons WHERE layer = 'layer2' AND idx = {neuron}"));
            Assert.Equal(concepts.GetArrayLength(), Scalar(atlas, $"SELECT COUNT(*) FROM concepts WHERE layer = 'layer2' AND neuron = {neuron}"));
            foreach (JsonElement k in concepts.EnumerateArray())
            {
                long[] members = k.GetProperty("members").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                Assert.Subset(top.ToHashSet(), members.ToHashSet());
                // The vector is the members' mean pooled vector, unit norm (recomputed here from pooled_mean.npy).
                double[] mean = new double[c];
                foreach (long m in members)
                {
                    float[] r = Row(m);
                    for (int f = 0; f < c; f++) mean[f] += r[f];
                }
                double norm = Math.Sqrt(mean.Sum(v => v * v));
                float[] vector = k.GetProperty("vector").EnumerateArray().Select(e => e.GetSingle()).ToArray();
                for (int f = 0; f < c; f++) Assert.Equal(mean[f] / norm, vector[f], 5);
                // Its best input maximises the projection over every pooled row.
                long best = rowInputs.MaxBy(i => Row(i).Zip(vector, (a, b) => (double)a * b).Sum());
                Assert.Equal(best, k.GetProperty("top_inputs")[0].GetInt64());
                Assert.Equal(best, Scalar(atlas, $"SELECT top1_input FROM concepts WHERE layer = 'layer2' AND neuron = {neuron} AND concept = {k.GetProperty("id").GetInt32()}"));
            }
        }
    }

    [Fact]
    public void Concepts_RerunAll_ReplacesRowsAndDefaultsToEveryNeuron()
    {
        string atlas = Atlas(40);
        ConceptsCommand.Run(new ConceptsCommand.Request(atlas, "layer2", Neurons: "1", Cut: "rel:2", MinSize: 1, TopK: 20), TextWriter.Null, TextWriter.Null);
        // A cut above every merge leaves one concept: the earlier rows of neuron 1 are replaced, not added to.
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Success, ConceptsCommand.Run(new ConceptsCommand.Request(atlas, "layer2", Cut: "abs:1e9", Outlier: "none", MinSize: 1, TopK: 20), output, error));
        Assert.Contains("32/32", error.ToString());
        Assert.Contains("concepts per neuron: 1: 32", output.ToString());
        Assert.Equal(32, Scalar(atlas, "SELECT COUNT(*) FROM concepts WHERE layer = 'layer2'"));
        Assert.Equal(32, Directory.GetFiles(Path.Combine(atlas, "methods", "concepts", "layer2"), "neuron_*.json").Length);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(atlas, "methods", "concepts", "layer2", "neuron_1.json")));
        Assert.Equal("abs:1000000000", doc.RootElement.GetProperty("provenance").GetProperty("options").GetProperty("cut").GetString());
        Assert.Equal(1.0, doc.RootElement.GetProperty("result").GetProperty("concepts")[0].GetProperty("share").GetDouble());
    }

    [Fact]
    public async Task Concepts_UserMistakes_GiveUsageErrorsWithHints()
    {
        string atlas = Atlas(30);
        (int code, string error) = await Invoke("concepts", atlas, "--layer", "layer9");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("layer2", error);
        Assert.Contains("hint:", error);
        (code, error) = await Invoke("concepts", atlas, "--layer", "layer2", "--neurons", "32");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("32 neurons (0 … 31)", error);
        (code, error) = await Invoke("concepts", atlas, "--layer", "layer2", "--cut", "15");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--cut", error);
        string bare = Atlas(30, pooled: false);
        (code, error) = await Invoke("concepts", bare, "--layer", "layer2", "--neurons", "0");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--no-pooled", error);
        Assert.False(Directory.Exists(Path.Combine(bare, "methods", "concepts")));
    }
}
