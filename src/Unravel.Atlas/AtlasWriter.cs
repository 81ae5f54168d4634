// Writes a collection result as an atlas directory (DESIGN.md §2):
//   manifest.json                provenance, options, layers with shapes, timings, file list
//   atlas.db                     SQLite: layers(...), neurons(layer, idx, statistics, top-1 references), meta(key, value)
//   layers/<layer>/<array>.npy   top-k tables [K, C] (row 0 = best, CRP layout), statistics [C], histograms [C, bins],
//                                random and quantile samples, pooled vectors [N, C], per-class top-k under class_<label>/
// The atlas is written into a temporary sibling directory and renamed into place, so a reader never sees half of one
// (DESIGN.md §9). float64 statistics are float32 in the .npy files (Unravel.IO writes f4/i4/i8) and float64 in atlas.db.

using Unravel.Nn;
using Unravel.Tensors;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Unravel.IO;

namespace Unravel.Atlas;

/// <summary>Writes atlases.</summary>
public static class AtlasWriter
{
    /// <summary>File name of the manifest.</summary>
    public const string ManifestFile = "manifest.json";

    /// <summary>File name of the exact streaming state (written for shards; read by `unravel merge`).</summary>
    public const string StateFile = "state.bin";

    /// <summary>File name of the SQLite index.</summary>
    public const string DatabaseFile = "atlas.db";

    /// <summary>Sortable columns of the neurons table (the `neurons --sort` keys).</summary>
    public static IReadOnlyList<string> NeuronColumns { get; } =
        ["idx", "count", "mean", "std", "min", "max", "frac_pos", "nan_count", "inf_count", "top1_max", "top1_max_input", "top1_max_pos",
         "top1_mean", "top1_mean_input", "topk_max_mean"];

    /// <summary>Writes <paramref name="result"/> to the directory <paramref name="path"/>, atomically.</summary>
    /// <param name="path">Target directory; must not exist unless <paramref name="overwrite"/>.</param>
    /// <param name="result">The collection.</param>
    /// <param name="options">The options it ran with.</param>
    /// <param name="provenance">Model and data provenance for the manifest.</param>
    /// <param name="overwrite">Replace an existing directory.</param>
    /// <param name="references">Model and dataset for reference visuals (receptive fields, crops, per-token activations); null for none.</param>
    /// <param name="extraManifest">Top-level manifest entries to add (e.g. "shard", "merged_from").</param>
    /// <exception cref="IOException">The target exists and <paramref name="overwrite"/> is false.</exception>
    /// <exception cref="AtlasInUseException">Another process writes the target.</exception>
    /// <exception cref="UnravelException">The target is a file.</exception>
    public static void Write(string path, CollectionResult result, CollectionOptions options, AtlasProvenance provenance, bool overwrite = false,
        ReferenceSource? references = null, JsonObject? extraManifest = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(provenance);
        string full = Path.GetFullPath(path.TrimEnd(Path.DirectorySeparatorChar));
        if (File.Exists(full)) throw new UnravelException($"{full} is a file; an atlas is a folder.", "choose another --out");
        using AtlasLock writing = AtlasLock.Acquire(full, "collect");
        if (Directory.Exists(full) && !overwrite) throw new IOException($"{full} already exists.");
        var watch = Stopwatch.StartNew();
        AtomicDirectory.Write(full, temp =>
        {
            var files = new List<string>();
            var layerExtras = new Dictionary<string, JsonObject>();
            foreach (LayerStatisticsResult layer in result.Layers)
            {
                WriteLayer(temp, layer, files);
                files.AddRange(RelevanceRanking.WriteLayer(result.Relevance, layer.Name, Path.Combine(temp, "layers", LayerFolder(layer.Name)))
                    .Select(f => Path.Combine("layers", LayerFolder(layer.Name), f)));
                if (references is null) continue;
                string rel = Path.Combine("layers", LayerFolder(layer.Name));
                (List<string> visualFiles, JsonObject entries) = ReferenceVisuals.WriteLayer(references, layer, Path.Combine(temp, rel));
                files.AddRange(visualFiles.Where(f => !f.StartsWith("crops/", StringComparison.Ordinal)).Select(f => Path.Combine(rel, f)));
                layerExtras[layer.Name] = entries;
            }
            if (result.State is { } state)
            {
                AtomicFile.Write(Path.Combine(temp, StateFile), stream => CollectionState.Save(stream, state));
                files.Add(StateFile);
            }
            WriteDatabase(Path.Combine(temp, DatabaseFile), result, provenance);
            WriteManifest(Path.Combine(temp, ManifestFile), result, options, provenance, files, watch.Elapsed, layerExtras, extraManifest);
        });
    }

    /// <summary>Folder name of a layer under layers/: the hook name with characters outside [A-Za-z0-9._-] replaced by '_'.</summary>
    public static string LayerFolder(string layer) =>
        string.Concat(layer.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-' ? ch : '_'));

    private static void WriteLayer(string root, LayerStatisticsResult r, List<string> files)
    {
        string rel = Path.Combine("layers", LayerFolder(r.Name));
        string dir = Path.Combine(root, rel);
        Directory.CreateDirectory(dir);
        int c = r.Neurons;
        void F32(string name, float[] data, params int[] shape) { if (data.Length > 0) { Npy.Write(Path.Combine(dir, name + ".npy"), Tensor.FromArray(data, shape)); files.Add(Path.Combine(rel, name + ".npy")); } }
        void I64(string name, long[] data, params int[] shape) { if (data.Length > 0) { Npy.WriteInt64(Path.Combine(dir, name + ".npy"), data, shape); files.Add(Path.Combine(rel, name + ".npy")); } }
        void I32(string name, int[] data, params int[] shape) { if (data.Length > 0) { Npy.WriteInt32(Path.Combine(dir, name + ".npy"), data, shape); files.Add(Path.Combine(rel, name + ".npy")); } }
        void Top(string prefix, TopKArrays t)
        {
            I64(prefix + "_indices", t.Indices, t.K, c);
            F32(prefix + "_values", t.Values, t.K, c);
            I32(prefix + "_positions", t.Positions, t.K, c);
        }
        static float[] F(double[] d) => Array.ConvertAll(d, x => (float)x);

        Top("top_max", r.TopByMax);
        Top("top_mean", r.TopByMean);
        foreach ((int label, (TopKArrays byMax, TopKArrays byMean)) in r.TopByClass)
        {
            Top(string.Create(CultureInfo.InvariantCulture, $"class_{label}_top_max"), byMax);
            Top(string.Create(CultureInfo.InvariantCulture, $"class_{label}_top_mean"), byMean);
        }
        I64("count", r.Count, c);
        F32("mean", F(r.Mean), c);
        F32("std", F(r.Std), c);
        F32("min", r.Min, c);
        F32("max", r.Max, c);
        F32("frac_pos", F(r.FractionPositive), c);
        I64("nan_count", r.NanCount, c);
        I64("inf_count", r.InfCount, c);
        I64("histogram", r.Histogram, c, r.Bins);
        F32("histogram_range", r.HistogramRange, c, 2);
        I64("histogram_outside", r.HistogramOutside, c, 2);
        I64("random_indices", r.RandomIndices, r.RandomIndices.Length);
        F32("random_values", r.RandomValues, r.RandomIndices.Length, c);
        F32("quantile_levels", F(r.QuantileLevels), r.QuantileLevels.Length);
        I64("quantile_indices", r.QuantileIndices, r.QuantileLevels.Length, c);
        F32("quantile_values", r.QuantileValues, r.QuantileLevels.Length, c);
        if (r.PooledIndices is { } idx)
        {
            I64("pooled_indices", idx, idx.Length);
            F32("pooled_max", r.PooledMax!, idx.Length, c);
            F32("pooled_mean", r.PooledMean!, idx.Length, c);
        }
    }

    /// <summary>The tables every atlas.db starts with (methods add columns to neurons and tables of their own).</summary>
    internal const string Schema = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE layers (name TEXT PRIMARY KEY, neurons INTEGER, shape TEXT, positions INTEGER, inputs INTEGER, folder TEXT);
        CREATE TABLE neurons (layer TEXT NOT NULL, idx INTEGER NOT NULL, count INTEGER, mean REAL, std REAL, min REAL, max REAL,
          frac_pos REAL, nan_count INTEGER, inf_count INTEGER, top1_max REAL, top1_max_input INTEGER, top1_max_pos INTEGER,
          top1_mean REAL, top1_mean_input INTEGER, topk_max_mean REAL, PRIMARY KEY (layer, idx));
        """;

    private static void WriteDatabase(string file, CollectionResult result, AtlasProvenance p)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        connection.Open();
        using SqliteTransaction tx = connection.BeginTransaction();
        Exec(connection, tx, Schema);
        using (SqliteCommand meta = Command(connection, tx, "INSERT INTO meta VALUES ($k, $v)", "$k", "$v"))
            foreach ((string k, string? v) in new[] { ("tool_version", p.ToolVersion), ("architecture", p.Architecture), ("model_source", p.ModelSource),
                ("model_sha256", p.ModelSha256), ("dataset_sha256", p.DatasetSha256), ("inputs", result.Inputs.ToString(CultureInfo.InvariantCulture)) })
                Run(meta, k, v);
        using (SqliteCommand layers = Command(connection, tx, "INSERT INTO layers VALUES ($a, $b, $c, $d, $e, $f)", "$a", "$b", "$c", "$d", "$e", "$f"))
            foreach (LayerStatisticsResult r in result.Layers)
                Run(layers, r.Name, r.Neurons, "[" + string.Join(", ", r.ItemShape) + "]", r.Positions, r.Inputs, "layers/" + LayerFolder(r.Name));
        string[] columns = ["layer", .. NeuronColumns];
        using SqliteCommand insert = Command(connection, tx,
            $"INSERT INTO neurons ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})",
            columns.Select((_, i) => "$p" + i).ToArray());
        foreach (LayerStatisticsResult r in result.Layers)
        {
            int c = r.Neurons;
            for (int i = 0; i < c; i++)
            {
                bool ranked = r.TopByMax.Indices[i] >= 0;
                var topk = Enumerable.Range(0, r.TopByMax.K).Where(k => r.TopByMax.Indices[k * c + i] >= 0).Select(k => (double)r.TopByMax.Values[k * c + i]).ToArray();
                Run(insert, r.Name, i, r.Count[i], r.Mean[i], r.Std[i], r.Min[i], r.Max[i], r.FractionPositive[i], r.NanCount[i], r.InfCount[i],
                    ranked ? r.TopByMax.Values[i] : null, ranked ? r.TopByMax.Indices[i] : null, ranked ? r.TopByMax.Positions[i] : null,
                    ranked ? r.TopByMean.Values[i] : null, ranked ? r.TopByMean.Indices[i] : null, topk.Length > 0 ? topk.Average() : null);
            }
        }
        tx.Commit();
    }

    private static void Exec(SqliteConnection connection, SqliteTransaction tx, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction tx, string sql, params string[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (string name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        return command;
    }

    /// <summary>Binds the values in order and executes; NaN and null become SQL NULL.</summary>
    private static void Run(SqliteCommand command, params object?[] values)
    {
        for (int i = 0; i < values.Length; i++)
            command.Parameters[i].Value = values[i] switch
            {
                null => DBNull.Value,
                double d when double.IsNaN(d) => DBNull.Value,
                float f when float.IsNaN(f) => DBNull.Value,
                float f => (double)f,
                object o => o,
            };
        command.ExecuteNonQuery();
    }

    private static void WriteManifest(string file, CollectionResult result, CollectionOptions o, AtlasProvenance p, List<string> files, TimeSpan writeTime,
        Dictionary<string, JsonObject> layerExtras, JsonObject? extraManifest)
    {
        var manifest = new JsonObject
        {
            ["format"] = $"{AtlasFormat.Name}/{AtlasFormat.Version}",
            ["format_version"] = AtlasFormat.Version,
            ["tool_version"] = p.ToolVersion,
            ["command"] = p.Command,
            ["created_utc"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            ["model"] = new JsonObject
            {
                ["architecture"] = p.Architecture, ["source"] = p.ModelSource, ["sha256"] = p.ModelSha256, ["config"] = p.ModelConfig?.DeepClone(),
            },
            ["dataset"] = new JsonObject
            {
                ["source"] = p.DatasetSource, ["description"] = p.DatasetDescription, ["sha256"] = p.DatasetSha256, ["inputs"] = result.Inputs,
                ["spec"] = p.Spec?.ToJson(),
            },
            ["options"] = new JsonObject
            {
                ["top_k"] = o.TopK, ["class_top_k"] = o.ClassTopK, ["histogram_bins"] = o.HistogramBins,
                ["histogram_range"] = o.HistogramRange is { } hr ? new JsonArray(hr.Low, hr.High) : "per neuron, finite [min, max] of the first batch",
                ["random_samples"] = o.RandomSamples, ["quantiles"] = o.Quantiles, ["keep_pooled"] = o.KeepPooled, ["batch_size"] = result.BatchSize,
                ["token_pool"] = o.TokenPool is { } tp ? tp.ToString().ToLowerInvariant() : null,
            },
            ["seed"] = o.Seed,
            ["layers"] = new JsonArray(result.Layers.Select(r =>
            {
                var layer = new JsonObject
                {
                    ["name"] = r.Name, ["folder"] = "layers/" + LayerFolder(r.Name), ["shape"] = new JsonArray(r.ItemShape.Select(d => (JsonNode)d).ToArray()),
                    ["neurons"] = r.Neurons, ["positions"] = r.Positions, ["inputs"] = r.Inputs,
                    ["nan_total"] = r.NanCount.Sum(), ["inf_total"] = r.InfCount.Sum(),
                    ["classes"] = new JsonArray(r.TopByClass.Keys.Select(k => (JsonNode)k).ToArray()),
                };
                if (layerExtras.TryGetValue(r.Name, out JsonObject? extra))
                    foreach ((string key, JsonNode? value) in extra.ToList()) { extra.Remove(key); layer[key] = value; }
                return (JsonNode)layer;
            }).ToArray()),
            ["timings_s"] = new JsonObject
            {
                ["collect"] = result.Elapsed.TotalSeconds, ["forward"] = result.ForwardTime.TotalSeconds, ["write"] = writeTime.TotalSeconds,
                ["items_per_s"] = result.Inputs / Math.Max(result.Elapsed.TotalSeconds, 1e-9),
            },
            ["files"] = new JsonArray(files.Select(f => (JsonNode)f.Replace('\\', '/')).ToArray()),
        };
        if (result.Relevance is { } relevance)
        {
            ((JsonObject)manifest["options"]!)["relevance"] = relevance.Options.ToManifest();
            ((JsonObject)manifest["timings_s"]!)["relevance"] = relevance.Elapsed.TotalSeconds;
        }
        if (extraManifest is not null)
            foreach ((string key, JsonNode? value) in extraManifest) manifest[key] = value?.DeepClone();
        File.WriteAllText(file, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
