// `unravel export ATLAS --format parquet|csv|jsonl [--what neurons|references|methods] --out FILE`: one atlas table as a
// file analysts read (pandas.read_parquet / read_csv / read_json(lines=True)); columns are documented in docs/exports.md.

using System.CommandLine;
using Unravel.Atlas.Export;

namespace Unravel.Cli;

internal static class ExportCommand
{
    private static readonly Argument<string> AtlasArgument = new("atlas") { Description = "Atlas directory (from `unravel collect`)." };
    private static readonly Option<string> FormatOption = new("--format", "-f") { Description = "parquet, csv or jsonl.", Required = true };
    private static readonly Option<string> WhatOption = new("--what") { Description = "Table: neurons, references or methods.", DefaultValueFactory = _ => "neurons" };
    private static readonly Option<string> OutOption = new("--out", "-o") { Description = "File to write (replaced atomically).", Required = true };

    public static Command Create()
    {
        Command command = new("export", "Export an atlas table (neurons, references, methods) as Parquet, CSV or JSON lines.")
            { AtlasArgument, FormatOption, WhatOption, OutOption };
        command.SetAction(p => Run(p.GetValue(AtlasArgument)!, p.GetValue(FormatOption)!, p.GetValue(WhatOption)!, p.GetValue(OutOption)!, Console.Out));
        return command;
    }

    internal static int Run(string atlas, string format, string what, string output, TextWriter log)
    {
        if (!ExportWriter.Formats.Contains(format))
            throw new UnravelUserException($"--format '{format}' is not one of {string.Join(", ", ExportWriter.Formats)}.", "e.g. --format parquet");
        if (!AtlasExport.Kinds.Contains(what))
            throw new UnravelUserException($"--what '{what}' is not one of {string.Join(", ", AtlasExport.Kinds)}.", "e.g. --what neurons");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(output));
        if (dir is not null && !Directory.Exists(dir)) throw new UnravelUserException($"--out {output}: the folder {dir} does not exist.", "create it first");
        if (Directory.Exists(output)) throw new UnravelUserException($"--out {output} is a folder.", $"name a file, e.g. --out {Path.Combine(output, $"{what}.{format}")}");
        AtlasSession session = AtlasSession.Open(atlas);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ExportTable table = AtlasExport.Build(session.Atlas, what);
        ExportWriter.Write(table, output, format);
        log.WriteLine(FormattableString.Invariant(
            $"{what}: {table.Rows.Count} rows × {table.Columns.Count} columns → {output} ({format}, {new FileInfo(output).Length / 1024.0:0.0} KiB, {clock.Elapsed.TotalSeconds:0.00} s)"));
        log.WriteLine($"columns: {string.Join(", ", table.Columns.Select(c => c.Name))}");
        return ExitCodes.Success;
    }
}
