// `unravel neurons ATLAS --layer L --sort KEY`: lists a layer's neurons from atlas.db, sorted by a statistic.

using System.CommandLine;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Unravel.Interpret.Collection;

namespace Unravel.Cli;

internal static class NeuronsCommand
{
    private static readonly Argument<string> AtlasArgument = new("atlas") { Description = "Atlas directory (from `unravel collect`)." };
    private static readonly Option<string> LayerOption = new("--layer", "-l") { Description = "Layer (hook name).", Required = true };
    private static readonly Option<string> SortOption = new("--sort", "-s")
    {
        Description = $"Column to sort by, descending: {string.Join(", ", AtlasWriter.NeuronColumns)}.",
        DefaultValueFactory = _ => "top1_max",
    };
    private static readonly Option<bool> AscendingOption = new("--ascending") { Description = "Sort ascending instead." };
    private static readonly Option<int> TopOption = new("--top", "-n") { Description = "How many neurons to list.", DefaultValueFactory = _ => 20 };
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print machine-readable JSON." };

    public static Command Create()
    {
        Command command = new("neurons", "List a layer's neurons from an atlas, sorted by a statistic.")
            { AtlasArgument, LayerOption, SortOption, AscendingOption, TopOption, JsonOption };
        command.SetAction(parse => Run(parse.GetValue(AtlasArgument)!, parse.GetValue(LayerOption)!, parse.GetValue(SortOption)!,
            parse.GetValue(AscendingOption), parse.GetValue(TopOption), parse.GetValue(JsonOption), Console.Out));
        return command;
    }

    internal static int Run(string atlas, string layer, string sort, bool ascending, int top, bool json, TextWriter output)
    {
        if (top < 1) throw new UnravelUserException($"--top must be at least 1 (got {top}).");
        // The sort key becomes part of the SQL, so it must be one of the known columns (never user text).
        string? column = AtlasWriter.NeuronColumns.FirstOrDefault(c => string.Equals(c, sort, StringComparison.OrdinalIgnoreCase));
        if (column is null) throw new UnravelUserException($"unknown sort key '{sort}'.", $"use one of: {string.Join(", ", AtlasWriter.NeuronColumns)}");
        using SqliteConnection db = AtlasDatabase.OpenReadOnly(atlas);
        string[] layers = AtlasDatabase.Query(db, "SELECT name FROM layers ORDER BY rowid").Rows.Select(r => (string)r[0]!).ToArray();
        if (!layers.Contains(layer, StringComparer.Ordinal))
            throw new UnravelUserException($"{atlas} has no layer '{layer}'.", $"layers: {string.Join(", ", layers)}");
        (string[] columns, List<object?[]> rows) = AtlasDatabase.Query(db,
            $"SELECT idx, mean, std, min, max, frac_pos, nan_count, top1_max, top1_max_input, top1_max_pos, topk_max_mean FROM neurons WHERE layer = $layer " +
            $"ORDER BY {column} IS NULL, {column} {(ascending ? "ASC" : "DESC")}, idx LIMIT $top", ("$layer", layer), ("$top", top));
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                atlas = Path.GetFullPath(atlas), layer, sort = column, ascending,
                neurons = rows.Select(r => columns.Select((c, i) => (c, r[i])).ToDictionary(t => t.c, t => t.Item2)),
            }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        output.WriteLine($"{layer}: top {rows.Count} neurons by {column} ({(ascending ? "ascending" : "descending")})");
        var table = new TextTable(columns);
        foreach (object?[] r in rows) table.Add(r.Select(AtlasDatabase.Format).ToArray());
        output.Write(table);
        return ExitCodes.Success;
    }
}
