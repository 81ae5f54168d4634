// `unravel query ATLAS "SQL"`: runs a read-only SQL query on an atlas's atlas.db and prints the rows.

using System.CommandLine;
using System.Text.Json;

namespace Unravel.Cli;

internal static class QueryCommand
{
    private static readonly AtlasOptions Atlas = new(layerDescription: null);
    private static readonly OutputOptions Output = new();
    private static readonly Argument<string> SqlArgument = new("sql") { Description = "SQL over the tables neurons, layers and meta (read-only)." };
    private static readonly Option<int> MaxRowsOption = new("--max-rows") { Description = "Stop when the query returns more rows than this.", DefaultValueFactory = _ => 100_000 };
    private static readonly Option<double> TimeoutOption = new("--timeout") { Description = "Stop the query after this many seconds.", DefaultValueFactory = _ => 30 };

    public static Command Create()
    {
        Command command = new("query", "Run a read-only SQL query on an atlas (tables: neurons, layers, meta).") { Atlas.Atlas, SqlArgument, Output.Json, MaxRowsOption, TimeoutOption };
        command.SetAction(parse => Run(Atlas.AtlasOf(parse), parse.GetValue(SqlArgument)!, Output.JsonOf(parse), Console.Out,
            parse.GetValue(MaxRowsOption), parse.GetValue(TimeoutOption)));
        return command;
    }

    internal static int Run(string atlas, string sql, bool json, TextWriter output, int maxRows = 100_000, double timeout = 30)
    {
        if (maxRows < 1) throw new UnravelUserException($"--max-rows must be at least 1 (got {maxRows}).");
        if (!(timeout > 0 && timeout <= 86_400)) throw new UnravelUserException($"--timeout must be between 0 and 86400 seconds (got {timeout}).");
        using AtlasDatabase db = AtlasDatabase.Open(atlas);
        (string[] columns, List<object?[]> rows) = db.Query(sql, maxRows, TimeSpan.FromSeconds(timeout));
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
