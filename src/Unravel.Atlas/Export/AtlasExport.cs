// The atlas as flat tables for analysts (pandas, R, DuckDB, spreadsheets): "neurons" (atlas.db's neurons table, one row per
// neuron with every method's columns), "references" (every top-k reference input of every neuron, from the arrays), and
// "methods" (one row per method record, options and result as JSON text). Columns are documented in docs/exports.md.

using System.Text.Json.Nodes;

namespace Unravel.Atlas.Export;

/// <summary>Builds the exported tables of an atlas.</summary>
public static class AtlasExport
{
    /// <summary>Names accepted by <see cref="Build"/>.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["neurons", "references", "methods"];

    /// <summary>The table <paramref name="what"/> ("neurons", "references" or "methods") of <paramref name="atlas"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="what"/> is not one of <see cref="Kinds"/>.</exception>
    /// <exception cref="AtlasFormatException">A method record is not valid JSON or lacks its layer or neuron.</exception>
    public static ExportTable Build(AtlasReader atlas, string what) => what switch
    {
        "neurons" => Neurons(atlas),
        "references" => References(atlas),
        "methods" => Methods(atlas),
        _ => throw new ArgumentException($"export: unknown table '{what}'; use one of {string.Join(", ", Kinds)}.", nameof(what)),
    };

    /// <summary>atlas.db's <c>neurons</c> table, ordered by layer (manifest order) and neuron; column types follow the
    /// SQLite declarations (INTEGER → Int64, REAL → Float64, else String).</summary>
    /// <exception cref="AtlasFormatException">atlas.db is damaged or holds rows that are no neurons.</exception>
    public static ExportTable Neurons(AtlasReader atlas)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        using AtlasDatabase db = AtlasDatabase.Open(atlas);
        (_, List<object?[]> info) = db.Query("PRAGMA table_info(neurons)");
        ExportColumn[] columns = [.. info.Select(r => new ExportColumn((string)r[1]!, ((string?)r[2] ?? "").ToUpperInvariant() switch
        {
            "INTEGER" => ExportType.Int64,
            "REAL" => ExportType.Float64,
            _ => ExportType.String,
        }, Describe((string)r[1]!)))];
        (string[] names, List<object?[]> rows) = db.Query($"SELECT {string.Join(", ", columns.Select(c => $"\"{c.Name}\""))} FROM neurons");
        Dictionary<string, int> order = atlas.Layers.Select((l, i) => (l.Name, i)).ToDictionary(t => t.Name, t => t.i);
        int layer = Array.IndexOf(names, "layer"), idx = Array.IndexOf(names, "idx");
        foreach (object?[] r in rows)
            Report.NeuronTable.CheckRow(atlas.DatabasePath, names, r, r[layer] is string l && atlas.HasLayer(l) ? atlas.Layer(l).Neurons : long.MaxValue);
        // Sorted on the checked values (layer a text, idx an integer) before each cell takes its column's declared type.
        object?[][] sorted = [.. rows.OrderBy(r => order.GetValueOrDefault((string)r[layer]!, int.MaxValue)).ThenBy(r => (string)r[layer]!, StringComparer.Ordinal)
            .ThenBy(r => (long)r[idx]!).Select(r => r.Select((v, i) => Cell(v, columns[i].Type, atlas.DatabasePath)).ToArray())];
        return new ExportTable("neurons", columns, sorted);
    }

    private static object? Cell(object? v, ExportType type, string file) => v switch
    {
        null or DBNull => null,
        double d when type == ExportType.Int64 && !(d >= long.MinValue && d < long.MaxValue) =>
            throw new AtlasFormatException(file, $"the neurons table holds {d.ToString(System.Globalization.CultureInfo.InvariantCulture)} in an INTEGER column.", "re-create the atlas with `unravel collect`"),
        _ when type == ExportType.Int64 => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture),
        _ when type == ExportType.Float64 => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string Describe(string column) => column switch
    {
        "layer" => "layer (hook point) name",
        "idx" => "neuron (channel) index",
        _ => "atlas.db neurons column (docs/atlas-format.md)",
    };

    /// <summary>Columns of the references table.</summary>
    public static IReadOnlyList<ExportColumn> ReferenceColumns { get; } =
    [
        new("layer", ExportType.String, "layer (hook point) name"),
        new("neuron", ExportType.Int64, "neuron (channel) index"),
        new("ranking", ExportType.String, "max (by the maximum over positions), mean (by the mean), or rel (by CRP relevance)"),
        new("class", ExportType.Int64, "class label of a per-class ranking, null for the ranking over all inputs"),
        new("rank", ExportType.Int64, "0 = the top reference"),
        new("input", ExportType.Int64, "dataset index of the reference input"),
        new("value", ExportType.Float64, "the ranking's value (activation or relevance)"),
        new("position", ExportType.Int64, "argmax position (flattened H·W or token index)"),
    ];

    /// <summary>Every filled top-k slot of every layer and ranking (top_max, top_mean, top_rel and the per-class ones),
    /// ordered by layer, ranking, class, neuron and rank.</summary>
    public static ExportTable References(AtlasReader atlas)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        var rows = new List<object?[]>();
        foreach (AtlasLayer layer in atlas.Layers)
        {
            var tables = new List<(string Prefix, string Ranking, long? Class)>();
            foreach (string ranking in new[] { "max", "mean", "rel" }) tables.Add(($"top_{ranking}", ranking, null));
            foreach (int c in layer.Classes)
                foreach (string ranking in new[] { "max", "mean" }) tables.Add(($"class_{c}_top_{ranking}", ranking, c));
            foreach ((string prefix, string ranking, long? cls) in tables)
            {
                if (!atlas.Has(layer.Name, prefix + "_indices")) continue;
                (long[] inputs, int[] shape) = atlas.ReadInt64(layer.Name, prefix + "_indices");                  // [K, C]
                Tensor values = atlas.ReadFloat(layer.Name, prefix + "_values");                                   // [K, C]
                int[] positions = atlas.Has(layer.Name, prefix + "_positions") ? atlas.ReadInt32(layer.Name, prefix + "_positions").Data : new int[inputs.Length];
                int k = shape[0], c = shape[1];
                for (int n = 0; n < c; n++)
                    for (int r = 0; r < k; r++)
                    {
                        int s = r * c + n;
                        if (inputs[s] < 0) continue;
                        rows.Add([layer.Name, (long)n, ranking, cls, (long)r, inputs[s], (double)values.Data[s], (long)positions[s]]);
                    }
            }
        }
        return new ExportTable("references", ReferenceColumns, rows);
    }

    /// <summary>Columns of the methods table.</summary>
    public static IReadOnlyList<ExportColumn> MethodColumns { get; } =
    [
        new("method", ExportType.String, "registered method name (concepts, pure, …)"),
        new("layer", ExportType.String, "layer (hook point) name"),
        new("neuron", ExportType.Int64, "neuron index"),
        new("format_version", ExportType.Int64, "record format version"),
        new("tool_version", ExportType.String, "Unravel version that wrote the record"),
        new("created_utc", ExportType.String, "ISO 8601 time of the record"),
        new("model_sha256", ExportType.String, "SHA-256 of the weights the method saw"),
        new("dataset_sha256", ExportType.String, "SHA-256 of the dataset content the method saw"),
        new("seed", ExportType.Int64, "seed of the method"),
        new("options", ExportType.String, "the method's options as JSON text"),
        new("result", ExportType.String, "the method's record as JSON text (docs/atlas-format.md, Method records)"),
    ];

    /// <summary>One row per method record (methods/&lt;method&gt;/&lt;layer folder&gt;/neuron_&lt;idx&gt;.json), ordered by
    /// method, layer and neuron.</summary>
    /// <exception cref="AtlasFormatException">A record is not valid JSON or lacks layer or neuron.</exception>
    public static ExportTable Methods(AtlasReader atlas)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        string root = atlas.PathOf("methods");
        var rows = new List<object?[]>();
        if (Directory.Exists(root))
            foreach (string method in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
                foreach (string file in Directory.EnumerateFiles(method, "neuron_*.json", SearchOption.AllDirectories))
                {
                    JsonObject record;
                    try
                    {
                        record = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new System.Text.Json.JsonException("not an object");
                    }
                    catch (System.Text.Json.JsonException e)
                    {
                        throw new AtlasFormatException(file, $"not a valid method record ({e.Message})", "re-run the method on this neuron", e);
                    }
                    JsonObject? p = record["provenance"] as JsonObject;
                    string layer = record["layer"]?.GetValue<string>() ?? throw new AtlasFormatException(file, "the record has no layer", "re-run the method on this neuron");
                    long neuron = record["neuron"]?.GetValue<long>() ?? throw new AtlasFormatException(file, "the record has no neuron", "re-run the method on this neuron");
                    rows.Add([p?["method"]?.GetValue<string>() ?? Path.GetFileName(method), layer, neuron, record["format_version"]?.GetValue<long>(),
                        p?["tool_version"]?.GetValue<string>(), p?["created_utc"]?.ToString(), p?["model_sha256"]?.GetValue<string>(), p?["dataset_sha256"]?.GetValue<string>(),
                        p?["seed"]?.GetValue<long>(), p?["options"]?.ToJsonString(), record["result"]?.ToJsonString()]);
                }
        return new ExportTable("methods", MethodColumns,
            [.. rows.OrderBy(r => (string)r[0]!, StringComparer.Ordinal).ThenBy(r => (string)r[1]!, StringComparer.Ordinal).ThenBy(r => (long)r[2]!)]);
    }
}
