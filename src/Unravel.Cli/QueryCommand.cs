// `unravel query ATLAS "SQL"`: runs a read-only SQL query on an atlas's atlas.db and prints the rows.

using System.CommandLine;
using System.Text.Json;

namespace Unravel.Cli;

internal static class QueryCommand
{
    private static readonly AtlasOptions Atlas = new(layerDescription: null);
    private static readonly OutputOptions Output = new();
    private static readonly Argument<string> SqlArgument = new("sql") { Description = "SQL over the tables neurons, layers and meta (read-only)." };

    public static Command Create()
    {
        Command command = new("query", "Run a read-only SQL query on an atlas (tables: neurons, layers, meta).") { Atlas.Atlas, SqlArgument, Output.Json };
        command.SetAction(parse => Run(Atlas.AtlasOf(parse), parse.GetValue(SqlArgument)!, Output.JsonOf(parse), Console.Out));
        return command;
    }

    internal static int Run(string atlas, string sql, bool json, TextWriter output)
    {
        using AtlasDatabase db = AtlasDatabase.Open(atlas);
        (string[] columns, List<object?[]> rows) = db.Query(sql);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(rows.Select(r => columns.Select((c, i) => (c, r[i])).ToDictionary(t => t.c, t => t.Item2)),
                new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        if (columns.Length == 0) return ExitCodes.Success;
        var table = new TextTable(columns);
        foreach (object?[] r in rows) table.Add(r.Select(AtlasDatabase.Format).ToArray());
        output.Write(table);
        output.WriteLine($"({rows.Count} row{(rows.Count == 1 ? "" : "s")})");
        return ExitCodes.Success;
    }
}
