// Writes concept-vector results into an atlas (shared/ATLAS brief, method "concepts"): one JSON per neuron under
// methods/concepts/<layer folder>/neuron_<idx>.json, written atomically, and the atlas.db columns neurons.concepts /
// neurons.polysemanticity plus the table concepts(layer, neuron, concept, size, share, top1_input, top1_score).
// Re-running a neuron replaces its JSON and its rows (DELETE then INSERT, all neurons in one transaction).

using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Unravel.Interpret.Collection;
using Unravel.IO;

namespace Unravel.Interpret.Concepts;

/// <summary>Stores <see cref="ConceptResult"/>s in an atlas.</summary>
public static class ConceptAtlas
{
    /// <summary>The method name: the folder under methods/ and the "method" field.</summary>
    public const string Method = "concepts";

    /// <summary>Path of a neuron's result file.</summary>
    public static string FileOf(AtlasReader atlas, string layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        return Path.Combine(atlas.PathOf("methods", Method, AtlasWriter.LayerFolder(atlas.Layer(layer).Name)), $"neuron_{neuron}.json");
    }

    /// <summary>Writes the results of <paramref name="neurons"/> of <paramref name="layer"/>, replacing earlier ones.</summary>
    /// <param name="atlas">The atlas (its atlas.db must be writable).</param>
    /// <param name="layer">Layer name.</param>
    /// <param name="run">Ranking, pooling, options and tool version of the run.</param>
    /// <param name="rowInputs">Dataset index of every row of the pooled matrix (pooled_indices).</param>
    /// <param name="neurons">Per neuron: its index, the top-k table it was analysed from, and the result.</param>
    /// <exception cref="ArgumentException">Unknown layer, or a result row outside <paramref name="rowInputs"/>.</exception>
    public static void Write(AtlasReader atlas, string layer, ConceptRun run, long[] rowInputs,
        IReadOnlyList<(int Neuron, TopInputs Top, ConceptResult Result)> neurons)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(rowInputs);
        ArgumentNullException.ThrowIfNull(neurons);
        string dir = atlas.MethodFolder(Method, layer);
        string created = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        foreach ((int neuron, TopInputs top, ConceptResult r) in neurons)
            AtomicFile.WriteAllText(Path.Combine(dir, $"neuron_{neuron}.json"),
                Json(atlas, layer, neuron, top, r, run, rowInputs, created).ToJsonString());

        using SqliteConnection db = atlas.OpenDatabase(writable: true);
        using SqliteTransaction tx = db.BeginTransaction();
        AtlasReader.EnsureColumn(db, tx, "neurons", "concepts", "INTEGER");
        AtlasReader.EnsureColumn(db, tx, "neurons", "polysemanticity", "REAL");
        Execute(db, tx, "CREATE TABLE IF NOT EXISTS concepts (layer TEXT NOT NULL, neuron INTEGER NOT NULL, concept INTEGER NOT NULL, " +
            "size INTEGER, share REAL, top1_input INTEGER, top1_score REAL, PRIMARY KEY (layer, neuron, concept))");
        foreach ((int neuron, _, ConceptResult r) in neurons)
        {
            Execute(db, tx, "UPDATE neurons SET concepts = $n, polysemanticity = $p WHERE layer = $l AND idx = $i",
                ("$n", r.Polysemanticity.Concepts), ("$p", r.Polysemanticity.Score), ("$l", layer), ("$i", neuron));
            Execute(db, tx, "DELETE FROM concepts WHERE layer = $l AND neuron = $i", ("$l", layer), ("$i", neuron));
            foreach (Concept c in r.Concepts)
                Execute(db, tx, "INSERT INTO concepts VALUES ($l, $i, $c, $s, $sh, $t, $ts)", ("$l", layer), ("$i", neuron), ("$c", c.Id),
                    ("$s", c.Size), ("$sh", c.Share), ("$t", c.TopRows.Length > 0 ? rowInputs[c.TopRows[0]] : null),
                    ("$ts", c.TopScores.Length > 0 ? (double)c.TopScores[0] : null));
        }
        tx.Commit();
    }

    private static JsonObject Json(AtlasReader atlas, string layer, int neuron, TopInputs top, ConceptResult r, ConceptRun run, long[] rowInputs, string created)
    {
        JsonArray Inputs(IEnumerable<int> rows) => new(rows.Select(i => (JsonNode)rowInputs[i]).ToArray());
        JsonArray Floats(IEnumerable<float> v) => new(v.Select(f => (JsonNode)f).ToArray());
        var json = new JsonObject
        {
            ["method"] = Method, ["layer"] = layer, ["neuron"] = neuron, ["tool_version"] = run.ToolVersion,
            ["model_sha256"] = atlas.ModelSha256, ["seed"] = atlas.Seed,
            ["config"] = new JsonObject
            {
                ["ranking"] = run.Ranking, ["pooling"] = run.Pooling, ["top_k"] = r.TopRows.Length, ["cut"] = run.Options.Cut.ToString(),
                ["outlier"] = run.Options.Outlier.ToString(), ["min_size"] = run.Options.MinSize, ["max_iterations"] = run.Options.MaxIterations,
                ["score_top"] = run.Options.ScoreTop, ["kmeans_init"] = "ward-means",
            },
            ["created_utc"] = created, ["ranking"] = run.Ranking, ["pooling"] = run.Pooling,
            ["top_inputs"] = Inputs(r.TopRows), ["top_values"] = Floats(top.Values.Take(r.TopRows.Length)),
            ["linkage"] = new JsonArray(r.Linkage?.Merges.Select(m => (JsonNode)new JsonArray(m.Left, m.Right, m.Height, m.Size)).ToArray() ?? []),
            ["cut_height"] = r.CutHeight, ["outlier_radius"] = double.IsFinite(r.Radius) ? r.Radius : null, ["scale"] = r.Scale,
            ["labels"] = new JsonArray(r.Labels.Select(l => (JsonNode)l).ToArray()),
            ["concepts"] = new JsonArray(r.Concepts.Select(c =>
            {
                var o = new JsonObject
                {
                    ["id"] = c.Id, ["size"] = c.Size, ["share"] = c.Share, ["members"] = Inputs(c.Members), ["vector"] = Floats(c.Vector),
                    ["top_inputs"] = Inputs(c.TopRows), ["top_scores"] = Floats(c.TopScores),
                };
                if (c.LabelEntropy is { } h) o["label_entropy"] = h;
                return (JsonNode)o;
            }).ToArray()),
            ["polysemanticity"] = new JsonObject
            {
                ["concepts"] = r.Polysemanticity.Concepts, ["score"] = r.Polysemanticity.Score, ["definition"] = Polysemanticity.Definition,
                ["separation"] = r.Polysemanticity.Separation,
            },
        };
        if (r.LabelEntropy is { } raw) json["label_entropy"] = raw;
        return json;
    }

    private static void Execute(SqliteConnection db, SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand cmd = db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach ((string name, object? value) in parameters) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }
}
