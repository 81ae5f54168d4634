// What the scale-out tests share: running the whole command tree as the tool does (exit code, stdout, stderr), and an
// atlas.db read back as sorted "table|v1|v2|…" rows for comparing atlases.

namespace Unravel.Cli.Tests;

internal static class ScaleTestHelpers
{
    /// <summary>Runs `unravel ARGS` in-process.</summary>
    public static async Task<(int Code, string Output, string Error)> Invoke(string[] args)
    {
        var error = new StringWriter();
        var output = new StringWriter();
        TextWriter saved = Console.Out;
        Console.SetOut(output);
        try
        {
            return (await CliRunner.InvokeAsync(CliCommands.Create(), args, error), output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(saved);
        }
    }

    /// <summary>Every row of every table of atlas.db as "table|v1|v2|…", sorted.</summary>
    public static List<string> DatabaseRows(string atlas)
    {
        using AtlasDatabase db = AtlasDatabase.Open(atlas);
        var rows = new List<string>();
        foreach (object?[] t in db.Query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").Rows)
            rows.AddRange(db.Query($"SELECT * FROM \"{t[0]}\"").Rows.Select(r => t[0] + "|" + string.Join("|", r.Select(AtlasDatabase.Format))));
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}
