// A small real atlas for the report, explorer and browser tests: the shipped Fashion-MNIST model collected over the
// first 40 test images (layers layer2 and layer3), plus hand-made method results in the atlas brief's format:
// concept vectors for layer3 neurons 0 and 1, and PURE for layer3 neuron 0. Built once per test class.

using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Unravel.Cli;
using Unravel.Interpret.Collection;
using Unravel.IO;

namespace Unravel.Web.Tests;

public sealed class AtlasFixture : IDisposable
{
    public const string Layer = "layer3";
    public const int Inputs = 40;

    public AtlasFixture()
    {
        Dir = Directory.CreateTempSubdirectory("unravel-report-tests-").FullName;
        AtlasPath = Path.Combine(Dir, "atlas");
        int code = CollectCommand.Run(new CollectCommand.Request(Assets.PathOf("models", "fashion-small-resnet", "model.safetensors"),
            Assets.PathOf("data", "fashion-mnist", "t10k-images-idx3-ubyte.gz"), "layer2,layer3", AtlasPath, Arch: "small-resnet-16",
            Labels: Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz"), K: 12, Batch: 20, Limit: Inputs), TextWriter.Null, TextWriter.Null);
        Assert.Equal(ExitCodes.Success, code);
        Atlas = AtlasReader.Open(AtlasPath);
        Concepts0 = WriteConcepts(0, split: 5);
        Concepts1 = WriteConcepts(1, split: 9);
        Pure0 = WritePure(0);
    }

    public string Dir { get; }

    public string AtlasPath { get; }

    public AtlasReader Atlas { get; }

    /// <summary>The concept JSON written for layer3 neuron 0 (2 concepts + 1 outlier).</summary>
    public JsonObject Concepts0 { get; }

    /// <summary>The concept JSON written for layer3 neuron 1.</summary>
    public JsonObject Concepts1 { get; }

    /// <summary>The PURE JSON written for layer3 neuron 0 (2 virtual neurons).</summary>
    public JsonObject Pure0 { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    /// <summary>Concepts of a neuron: its 12 top inputs, the first <paramref name="split"/> in concept 0, the rest but
    /// the last in concept 1, the last an outlier; a chain linkage (merge i joins the previous cluster with leaf i + 1).</summary>
    private JsonObject WriteConcepts(int neuron, int split)
    {
        TopInputs top = Atlas.TopInputs(Layer, neuron);
        long[] inputs = top.Inputs;
        int n = inputs.Length;
        int[] labels = Enumerable.Range(0, n).Select(i => i == n - 1 ? -1 : i < split ? 0 : 1).ToArray();
        var linkage = new JsonArray();
        for (int i = 0; i < n - 1; i++)
            linkage.Add(new JsonArray(i == 0 ? 0 : n + i - 1, i + 1, 0.1 * (i + 1), i + 2));
        var concepts = new JsonArray();
        for (int c = 0; c < 2; c++)
        {
            long[] members = inputs.Where((_, i) => labels[i] == c).ToArray();
            concepts.Add(new JsonObject
            {
                ["id"] = c, ["size"] = members.Length, ["share"] = (double)members.Length / n, ["members"] = Arr(members),
                ["vector"] = Arr(Enumerable.Repeat(0.125, 64)), ["top_inputs"] = Arr(members.Reverse()),
                ["top_scores"] = Arr(members.Select((_, i) => 3.0 - 0.25 * i)), ["label_entropy"] = 0.5 * c,
            });
        }
        var json = new JsonObject
        {
            ["method"] = "concepts", ["layer"] = Layer, ["neuron"] = neuron, ["tool_version"] = "0.1.0", ["model_sha256"] = Atlas.ModelSha256,
            ["seed"] = 0, ["config"] = new JsonObject { ["ranking"] = "max", ["pooling"] = "mean" }, ["created_utc"] = "2026-11-21T00:00:00Z",
            ["ranking"] = "max", ["pooling"] = "mean", ["top_inputs"] = Arr(inputs), ["top_values"] = Arr(top.Values.Select(v => (double)v)),
            ["linkage"] = linkage, ["cut_height"] = 0.1 * (split + 0.5), ["labels"] = Arr(labels.Select(l => (long)l)), ["concepts"] = concepts,
            ["polysemanticity"] = new JsonObject { ["concepts"] = 2, ["score"] = 0.25 + neuron, ["definition"] = "test definition" },
        };
        Write("concepts", neuron, json);
        using SqliteConnection db = Atlas.OpenDatabase(writable: true);
        using SqliteTransaction tx = db.BeginTransaction();
        AtlasReader.EnsureColumn(db, tx, "neurons", "concepts", "INTEGER");
        AtlasReader.EnsureColumn(db, tx, "neurons", "polysemanticity", "REAL");
        Exec(db, tx, $"UPDATE neurons SET concepts = 2, polysemanticity = {(0.25 + neuron).ToString(CultureInfo.InvariantCulture)} WHERE layer = '{Layer}' AND idx = {neuron}");
        tx.Commit();
        return json;
    }

    private JsonObject WritePure(int neuron)
    {
        long[] refs = Atlas.TopInputs(Layer, neuron).Inputs;
        var vns = new JsonArray();
        for (int v = 0; v < 2; v++)
        {
            long[] members = refs.Where((_, i) => i % 2 == v).ToArray();
            vns.Add(new JsonObject
            {
                ["id"] = v, ["size"] = members.Length, ["share"] = (double)members.Length / refs.Length, ["centroid"] = Arr(Enumerable.Repeat(0.5, 32)),
                ["members"] = Arr(members), ["top_inputs"] = Arr(members), ["top_scores"] = Arr(members.Select((_, i) => 2.0 - 0.1 * i)),
            });
        }
        var json = new JsonObject
        {
            ["method"] = "pure", ["layer"] = Layer, ["neuron"] = neuron, ["tool_version"] = "0.1.0", ["model_sha256"] = Atlas.ModelSha256, ["seed"] = 0,
            ["config"] = new JsonObject { ["k"] = 2 }, ["created_utc"] = "2026-11-21T00:00:00Z", ["lower_layer"] = "layer2", ["k"] = 2,
            ["references"] = Arr(refs), ["labels"] = Arr(refs.Select((_, i) => (long)(i % 2))), ["virtual_neurons"] = vns,
            ["k_selection"] = new JsonObject { ["2"] = 0.4, ["3"] = 0.3 },
        };
        Write("pure", neuron, json);
        using SqliteConnection db = Atlas.OpenDatabase(writable: true);
        using SqliteTransaction tx = db.BeginTransaction();
        AtlasReader.EnsureColumn(db, tx, "neurons", "pure_k", "INTEGER");
        Exec(db, tx, $"UPDATE neurons SET pure_k = 2 WHERE layer = '{Layer}' AND idx = {neuron}");
        tx.Commit();
        return json;
    }

    private void Write(string method, int neuron, JsonObject json) =>
        AtomicFile.WriteAllText(Path.Combine(Atlas.MethodFolder(method, Layer), $"neuron_{neuron}.json"), json.ToJsonString());

    private static void Exec(SqliteConnection db, SqliteTransaction tx, string sql)
    {
        using SqliteCommand cmd = db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static JsonArray Arr(IEnumerable<long> values) => new([.. values.Select(v => (JsonNode)v)]);

    private static JsonArray Arr(IEnumerable<double> values) => new([.. values.Select(v => (JsonNode)v)]);
}
