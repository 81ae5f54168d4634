// The rows of atlas.db's neurons table for one layer, with whatever columns the methods have added (concepts,
// polysemanticity, pure_k, …), read once per layer for the report's tables and charts.

using System.Globalization;

namespace Unravel.Atlas.Report;

/// <summary>A layer's neurons table: column names and one value array per neuron (null = SQL NULL).</summary>
/// <param name="Columns">Column names except "layer", in table order.</param>
/// <param name="Rows">Rows ordered by neuron index.</param>
public sealed record NeuronTable(IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows)
{
    /// <summary>Reads the rows of <paramref name="layer"/>.</summary>
    /// <exception cref="AtlasFormatException">atlas.db is damaged, or a row is not a neuron of the layer (see <see cref="CheckRow"/>).</exception>
    public static NeuronTable Read(AtlasReader atlas, string layer)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        using AtlasDatabase db = AtlasDatabase.Open(atlas);
        (string[] all, List<object?[]> rows) = db.Query("SELECT * FROM neurons WHERE layer = $l ORDER BY idx", ("$l", layer));
        int neurons = atlas.Layer(layer).Neurons;
        foreach (object?[] row in rows) CheckRow(atlas.DatabasePath, all, row, neurons);
        int skip = Array.IndexOf(all, "layer");
        var columns = all.Where((_, i) => i != skip).ToList();
        if (skip >= 0) rows = [.. rows.Select(r => r.Where((_, i) => i != skip).ToArray())];
        return new NeuronTable(columns, rows);
    }

    /// <summary>Checks a row of the neurons table as every reader needs it: layer a text, idx an integer in [0, <paramref name="neurons"/>),
    /// and every other value a number or NULL (the collection's statistics and the methods' columns are INTEGER or REAL).</summary>
    /// <exception cref="AtlasFormatException">The row is not such a row.</exception>
    internal static void CheckRow(string file, IReadOnlyList<string> columns, object?[] row, long neurons)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(row);
        for (int i = 0; i < columns.Count; i++)
        {
            bool ok = columns[i] switch
            {
                "layer" => row[i] is string,
                "idx" => row[i] is long idx && idx >= 0 && idx < neurons,
                _ => row[i] is null or long or double,
            };
            if (!ok)
                throw new AtlasFormatException(file, $"the neurons table holds {Describe(row[i])} in column {columns[i]}" +
                    (columns[i] == "idx" ? $" (the layer has {neurons} neurons)." : "."), "re-create the atlas with `unravel collect`");
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "NULL",
        string => "a text",
        byte[] b => $"a blob of {b.Length} bytes",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "a value",
    };

    /// <summary>Whether the table has <paramref name="column"/>.</summary>
    public bool Has(string column) => Columns.Contains(column);

    /// <summary>The row of neuron <paramref name="idx"/>, or null.</summary>
    public object?[]? Row(int idx)
    {
        int c = IndexOf("idx");
        return Rows.FirstOrDefault(r => c >= 0 && r[c] is { } v && Convert.ToInt64(v, CultureInfo.InvariantCulture) == idx);
    }

    /// <summary>The value of <paramref name="column"/> in <paramref name="row"/> as a double, or null.</summary>
    public double? Number(object?[] row, string column)
    {
        ArgumentNullException.ThrowIfNull(row);
        int c = IndexOf(column);
        return c < 0 || row[c] is null ? null : Convert.ToDouble(row[c], CultureInfo.InvariantCulture);
    }

    private int IndexOf(string column) => Columns is List<string> list ? list.IndexOf(column) : Columns.ToList().IndexOf(column);
}
