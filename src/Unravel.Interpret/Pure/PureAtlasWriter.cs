// Writes PURE results into an atlas (ATLAS.md "method pure"): methods/pure/<layer folder>/neuron_<idx>.json per neuron
// (atomically), atlas.db column neurons.pure_k and table virtual_neurons, a neuron's old rows replaced in one
// transaction; with an evaluation also methods/pure/<layer folder>/evaluation.json (the layer summary).

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Unravel.Interpret.Collection;
using Unravel.IO;

namespace Unravel.Interpret.Pure;

/// <summary>Stores <see cref="PureResult"/>s in an atlas.</summary>
public static class PureAtlasWriter
{
    /// <summary>Method name (folder under methods/).</summary>
    public const string Method = "pure";

    /// <summary>Circuits are left out of a neuron's JSON when they would take more than this many bytes.</summary>
    public const long MaxCircuitBytes = 2_000_000;

    // Plain '+', '<', non-ASCII layer names in the files (still valid JSON).
    private static readonly JsonSerializerOptions s_json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes one JSON per neuron and the database rows.</summary>
    /// <param name="atlas">The atlas (its layer must be <see cref="PureOptions.Layer"/>).</param>
    /// <param name="result">PURE's result.</param>
    /// <param name="evaluation">The evaluation, or null.</param>
    /// <param name="toolVersion">Recorded in every file.</param>
    /// <param name="config">All options of the run, recorded as "config".</param>
    /// <returns>The folder written to.</returns>
    public static string Write(AtlasReader atlas, PureResult result, PureEvaluation? evaluation, string toolVersion, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(config);
        string layer = result.Options.Layer;
        string folder = atlas.MethodFolder(Method, layer);
        Dictionary<int, NeuronEvaluation> evals = evaluation?.Neurons.ToDictionary(e => e.Neuron) ?? [];
        string created = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        foreach (PureNeuronResult n in result.Neurons)
        {
            JsonObject doc = Neuron(atlas, result, n, toolVersion, config, created);
            if (evaluation is not null && evals.TryGetValue(n.Neuron, out NeuronEvaluation? e)) doc["evaluation"] = Evaluation(evaluation, e);
            AtomicFile.WriteAllText(Path.Combine(folder, $"neuron_{n.Neuron}.json"), doc.ToJsonString(s_json));
        }
        if (evaluation is not null)
        {
            var summary = new JsonObject
            {
                ["method"] = Method, ["layer"] = layer, ["lower_layer"] = result.Options.LowerLayer, ["tool_version"] = toolVersion,
                ["model_sha256"] = atlas.ModelSha256, ["seed"] = result.Options.Seed, ["config"] = config.DeepClone(), ["created_utc"] = created,
                ["judge"] = evaluation.Judge, ["judge_independent"] = evaluation.JudgeIndependent,
                ["summary"] = new JsonArray(evaluation.Summary.Select(s => (JsonNode)new JsonObject
                {
                    ["method"] = s.Method, ["intra"] = Finite(s.Intra), ["inter"] = Finite(s.Inter), ["gap"] = Finite(s.Gap),
                    ["gap_stderr"] = Finite(s.GapStdError), ["neurons"] = s.Neurons,
                }).ToArray()),
            };
            AtomicFile.WriteAllText(Path.Combine(folder, "evaluation.json"), summary.ToJsonString(s_json));
        }
        WriteDatabase(atlas, result);
        return folder;
    }

    private static JsonObject Neuron(AtlasReader atlas, PureResult result, PureNeuronResult n, string toolVersion, JsonObject config, string created)
    {
        var doc = new JsonObject
        {
            ["method"] = Method, ["layer"] = result.Options.Layer, ["neuron"] = n.Neuron, ["tool_version"] = toolVersion,
            ["model_sha256"] = atlas.ModelSha256, ["seed"] = result.Options.Seed, ["config"] = config.DeepClone(), ["created_utc"] = created,
            ["lower_layer"] = result.Options.LowerLayer, ["k"] = n.K,
            ["references"] = Array(n.References), ["labels"] = Array(n.Labels), ["activations"] = Array(n.Activations),
        };
        long circuitBytes = (long)n.Circuits.Length * result.Circuits.LowerChannels * 12;
        if (circuitBytes <= MaxCircuitBytes) doc["circuits"] = new JsonArray(n.Circuits.Select(c => (JsonNode)Array(c)).ToArray());
        doc["virtual_neurons"] = new JsonArray(n.VirtualNeurons.Select(v => (JsonNode)new JsonObject
        {
            ["id"] = v.Id, ["size"] = v.Size, ["share"] = v.Share, ["centroid"] = Array(v.Centroid), ["members"] = Array(v.Members),
            ["top_inputs"] = Array(v.TopInputs), ["top_scores"] = Array(v.TopScores),
        }).ToArray());
        if (n.KSelection is { } sel)
        {
            var ks = new JsonObject();
            foreach ((int k, double s) in sel) ks[k.ToString(CultureInfo.InvariantCulture)] = s;
            doc["k_selection"] = ks;
        }
        return doc;
    }

    private static JsonObject Evaluation(PureEvaluation evaluation, NeuronEvaluation e)
    {
        var methods = new JsonObject();
        foreach ((string m, ClusterDistances d) in e.Methods)
            methods[m] = new JsonObject { ["intra"] = d.Intra, ["inter"] = d.Inter, ["gap"] = d.Gap, ["overall"] = d.Overall };
        return new JsonObject
        {
            ["metric"] = "mean Euclidean distance of the references' judge embeddings within / between virtual neurons",
            ["judge"] = evaluation.Judge, ["judge_independent"] = evaluation.JudgeIndependent, ["methods"] = methods,
        };
    }

    private static void WriteDatabase(AtlasReader atlas, PureResult result)
    {
        using SqliteConnection connection = atlas.OpenDatabase(writable: true);
        using SqliteTransaction tx = connection.BeginTransaction();
        AtlasReader.EnsureColumn(connection, tx, "neurons", "pure_k", "INTEGER");
        Execute(connection, tx, "CREATE TABLE IF NOT EXISTS virtual_neurons(layer TEXT, neuron INTEGER, lower_layer TEXT, vn INTEGER, size INTEGER, share REAL, top1_input INTEGER)");
        string layer = result.Options.Layer;
        foreach (PureNeuronResult n in result.Neurons)
        {
            Execute(connection, tx, "DELETE FROM virtual_neurons WHERE layer = $layer AND neuron = $neuron", ("$layer", layer), ("$neuron", n.Neuron));
            Execute(connection, tx, "UPDATE neurons SET pure_k = $k WHERE layer = $layer AND idx = $neuron", ("$k", n.K), ("$layer", layer), ("$neuron", n.Neuron));
            foreach (VirtualNeuron v in n.VirtualNeurons)
                Execute(connection, tx, "INSERT INTO virtual_neurons VALUES ($layer, $neuron, $lower, $vn, $size, $share, $top1)",
                    ("$layer", layer), ("$neuron", n.Neuron), ("$lower", result.Options.LowerLayer), ("$vn", v.Id), ("$size", v.Size),
                    ("$share", v.Share), ("$top1", v.TopInputs.Length > 0 ? v.TopInputs[0] : DBNull.Value));
        }
        tx.Commit();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction tx, string sql, params (string Name, object Value)[] parameters)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach ((string name, object value) in parameters) command.Parameters.AddWithValue(name, value);
        command.ExecuteNonQuery();
    }

    private static JsonArray Array<T>(IEnumerable<T> values) => new(values.Select(v => JsonValue.Create(v)).ToArray<JsonNode?>());

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
