// `unravel neurons ATLAS --layer L --sort KEY`: lists a layer's neurons from atlas.db, sorted by a statistic.

using System.CommandLine;
using System.Text.Json;
using Unravel.Atlas.Methods;
using Unravel.Atlas;

namespace Unravel.Cli;

internal static class NeuronsCommand
{
    private static readonly AtlasOptions Atlas = new();
    private static readonly OutputOptions Output = new();
    private static readonly Option<string> SortOption = new("--sort", "-s")
    {
        Description = $"Column to sort by, descending: {string.Join(", ", AtlasWriter.NeuronColumns.Concat(MethodRegistry.Columns.Select(c => c.Name)))}.",
        DefaultValueFactory = _ => "top1_max",
    };
    private static readonly Option<bool> AscendingOption = new("--ascending") { Description = "Sort ascending instead." };
    private static readonly Option<int> TopOption = new("--top", "-n") { Description = "How many neurons to list.", DefaultValueFactory = _ => 20 };

    public static Command Create()
    {
        Command command = new("neurons", "List a layer's neurons from an atlas, sorted by a statistic.")
            { Atlas.Atlas, Atlas.Layer, SortOption, AscendingOption, TopOption, Output.Json };
        command.SetAction(parse => Run(Atlas.AtlasOf(parse), Atlas.LayerOf(parse), parse.GetValue(SortOption)!,
            parse.GetValue(AscendingOption), parse.GetValue(TopOption), Output.JsonOf(parse), Console.Out));
        return command;
    }

    /// <summary>Sort keys: the collection's statistics and every registered method's columns.</summary>
    private static IEnumerable<string> SortKeys => AtlasWriter.NeuronColumns.Concat(MethodRegistry.Columns.Select(c => c.Name));

    internal static int Run(string atlas, string layer, string sort, bool ascending, int top, bool json, TextWriter output)
    {
        if (top < 1) throw new UnravelUserException($"--top must be at least 1 (got {top}).");
        // The sort key becomes part of the SQL, so it must be one of the known columns (never user text).
        string? column = SortKeys.FirstOrDefault(c => string.Equals(c, sort, StringComparison.OrdinalIgnoreCase));
        if (column is null) throw new UnravelUserException($"unknown sort key '{sort}'.", $"use one of: {string.Join(", ", SortKeys)}");
        AtlasSession session = AtlasSession.Open(atlas);
        layer = session.Layer(layer).Name;
        using AtlasDatabase db = AtlasDatabase.Open(session.Atlas);
        IReadOnlyList<string> present = db.ColumnsOf("neurons");
        if (!present.Contains(column))
            throw new UnravelUserException($"{atlas}: no neuron has a '{column}' value yet.", $"run `unravel {MethodRegistry.All.First(m => m.Columns.Any(c => c.Name == column)).Name}` on the layer first");
        string[] shown = ["idx", .. MethodRegistry.Columns.Select(c => c.Name).Where(present.Contains),
            "mean", "std", "min", "max", "frac_pos", "nan_count", "top1_max", "top1_max_input", "top1_max_pos", "topk_max_mean"];
        (string[] columns, List<object?[]> rows) = db.Query(
            $"SELECT {string.Join(", ", shown)} FROM neurons WHERE layer = $layer " +
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
