// Read-only access to an atlas's atlas.db for the `neurons` and `query` commands.

using Microsoft.Data.Sqlite;
using Unravel.Interpret.Collection;

namespace Unravel.Cli;

internal static class AtlasDatabase
{
    /// <summary>Opens ATLAS/atlas.db read-only.</summary>
    /// <exception cref="UnravelUserException">No atlas there.</exception>
    public static SqliteConnection OpenReadOnly(string atlas)
    {
        string file = Path.Combine(atlas, AtlasWriter.DatabaseFile);
        if (!File.Exists(file))
            throw new UnravelUserException($"{atlas}: not an atlas (no {AtlasWriter.DatabaseFile}).", "create one with `unravel collect MODEL --data DATA --layers L --out ATLAS`");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Runs a query and returns column names and rows (values as CLR objects, NULL as null).</summary>
    /// <exception cref="UnravelUserException">The SQL is invalid or tries to write.</exception>
    public static (string[] Columns, List<object?[]> Rows) Query(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        try
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = sql;
            foreach ((string name, object value) in parameters) command.Parameters.AddWithValue(name, value);
            using SqliteDataReader reader = command.ExecuteReader();
            string[] columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            var rows = new List<object?[]>();
            while (reader.Read())
                rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i)).ToArray());
            return (columns, rows);
        }
        catch (SqliteException e)
        {
            throw new UnravelUserException($"SQL: {e.Message}", "tables: neurons, layers, meta (the atlas is opened read-only); e.g. SELECT * FROM neurons LIMIT 5");
        }
    }

    public static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
