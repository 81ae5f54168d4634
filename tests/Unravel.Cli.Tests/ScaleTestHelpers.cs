// What the scale-out tests share: running the whole command tree as the tool does (exit code, stdout, stderr), and an
// atlas.db read back as sorted "table|v1|v2|…" rows for comparing atlases, and a copy of an atlas folder.

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

    /// <summary>Copies the atlas folder <paramref name="atlas"/> to <paramref name="target"/> (created) and returns the target.</summary>
    public static string CopyAtlas(string atlas, string target)
    {
        foreach (string file in Directory.EnumerateFiles(atlas, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(target, Path.GetRelativePath(atlas, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }
}
