// `unravel export`: the Parquet files are read back by an independent reader, ParquetSharp (Apache Arrow's C++ Parquet
// implementation; Debian bookworm packages neither pyarrow nor fastparquet, and pandas alone cannot read Parquet), and
// compared with the atlas itself (atlas.db through SQLite, the top-k arrays through .npy, the method records as JSON);
// CSV and JSON lines round-trip to the same cells; bad options exit 2 with one message and a hint.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ParquetSharp;
using Unravel.IO;

namespace Unravel.Cli.Tests;

public sealed class ExportCommandTests(ExportAtlasFixture fixture) : IClassFixture<ExportAtlasFixture>
{
    private string Export(string what, string format)
    {
        string dir = Directory.CreateTempSubdirectory("unravel-export-").FullName;
        string file = Path.Combine(dir, $"{what}.{format}");
        Assert.Equal(ExitCodes.Success, ExportCommand.Run(fixture.Atlas, format, what, file, TextWriter.Null));
        Assert.Equal([file], Directory.GetFiles(dir));                                           // written by rename: no temporary left
        return file;
    }

    /// <summary>Column names and cells (long, double, string or null) of a Parquet file, read with ParquetSharp.</summary>
    private static (string[] Names, object?[][] Rows) ReadParquet(string path)
    {
        using var reader = new ParquetFileReader(path);
        int columns = reader.FileMetaData.NumColumns;
        string[] names = [.. Enumerable.Range(0, columns).Select(i => reader.FileMetaData.Schema.Column(i).Name)];
        var cells = new List<object?[]>[columns];
        var rows = new List<object?[]>();
        int total = checked((int)reader.FileMetaData.NumRows);
        var data = new object?[columns][];
        for (int c = 0; c < columns; c++) data[c] = new object?[total];
        int offset = 0;
        for (int g = 0; g < reader.FileMetaData.NumRowGroups; g++)
        {
            using RowGroupReader group = reader.RowGroup(g);
            int n = checked((int)group.MetaData.NumRows);
            for (int c = 0; c < columns; c++)
            {
                using ColumnReader column = group.Column(c);
                object?[] values = column.ColumnDescriptor.PhysicalType switch
                {
                    PhysicalType.Int64 => [.. column.LogicalReader<long?>().ReadAll(n).Select(v => (object?)v)],
                    PhysicalType.Double => [.. column.LogicalReader<double?>().ReadAll(n).Select(v => (object?)v)],
                    PhysicalType.ByteArray => [.. column.LogicalReader<string?>().ReadAll(n).Select(v => (object?)v)],
                    var t => throw new InvalidOperationException($"unexpected Parquet type {t} in column {names[c]}"),
                };
                values.CopyTo(data[c], offset);
            }
            offset += n;
        }
        for (int r = 0; r < total; r++) rows.Add([.. Enumerable.Range(0, columns).Select(c => data[c][r])]);
        return (names, [.. rows]);
    }

    [Fact]
    public void Export_NeuronsParquet_ReadsBackAsAtlasDbsNeuronsTable()
    {
        (string[] names, object?[][] rows) = ReadParquet(Export("neurons", "parquet"));
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(fixture.Atlas, "atlas.db")};Mode=ReadOnly");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT * FROM neurons ORDER BY layer, idx";                         // layer2 < layer3, as in the manifest
        using var reader = command.ExecuteReader();
        Assert.Equal(Enumerable.Range(0, reader.FieldCount).Select(reader.GetName), names);
        Assert.Contains("polysemanticity", names);                                                // the concepts method's column
        int r = 0;
        while (reader.Read())
        {
            for (int c = 0; c < reader.FieldCount; c++)
            {
                object? expected = reader.IsDBNull(c) ? null : reader.GetValue(c);
                Assert.Equal(expected, rows[r][c]);
            }
            r++;
        }
        Assert.Equal(32 + 64, r);                                                                 // layer2 and layer3 channels of small-resnet-16
        Assert.Equal(r, rows.Length);
    }

    [Fact]
    public void Export_ReferencesParquet_HoldsEveryFilledTopKSlotOfTheArrays()
    {
        (string[] names, object?[][] rows) = ReadParquet(Export("references", "parquet"));
        Assert.Equal(["layer", "neuron", "ranking", "class", "rank", "input", "value", "position"], names);
        // Every *_indices.npy of every layer folder, read directly: one row per slot ≥ 0.
        int expectedRows = 0;
        foreach (string file in Directory.EnumerateFiles(Path.Combine(fixture.Atlas, "layers"), "*_indices.npy", SearchOption.AllDirectories))
            if (Path.GetFileName(file).Contains("top_", StringComparison.Ordinal))
                expectedRows += Npy.ReadInt64(file).Data.Count(i => i >= 0);
        Assert.Equal(expectedRows, rows.Length);
        string folder = Directory.GetDirectories(Path.Combine(fixture.Atlas, "layers")).Single(d => Path.GetFileName(d).Contains("layer2", StringComparison.Ordinal));
        long[] inputs = Npy.ReadInt64(Path.Combine(folder, "top_max_indices.npy")).Data;            // [K, C]
        float[] values = Npy.Read(Path.Combine(folder, "top_max_values.npy")).Data.ToArray();
        int[] positions = Npy.ReadInt32(Path.Combine(folder, "top_max_positions.npy")).Data;
        const int c = 32, neuron = 3;
        object?[][] mine = [.. rows.Where(r => (string)r[0]! == "layer2" && (string)r[2]! == "max" && r[3] is null && (long)r[1]! == neuron).OrderBy(r => (long)r[4]!)];
        Assert.Equal(12, mine.Length);
        for (int k = 0; k < 12; k++)
        {
            Assert.Equal(inputs[k * c + neuron], mine[k][5]);
            Assert.Equal((double)values[k * c + neuron], mine[k][6]);
            Assert.Equal((long)positions[k * c + neuron], mine[k][7]);
        }
        Assert.Contains(rows, r => r[3] is long);                                                 // per-class rankings (collected with labels)
    }

    [Fact]
    public void Export_MethodsParquet_HoldsOneRowPerRecordWithItsResult()
    {
        (string[] names, object?[][] rows) = ReadParquet(Export("methods", "parquet"));
        Assert.Equal(["method", "layer", "neuron", "format_version", "tool_version", "created_utc", "model_sha256", "dataset_sha256", "seed", "options", "result"], names);
        string[] files = [.. Directory.EnumerateFiles(Path.Combine(fixture.Atlas, "methods"), "neuron_*.json", SearchOption.AllDirectories)];
        Assert.Equal(2, files.Length);
        Assert.Equal(2, rows.Length);
        Assert.Equal([0L, 3L], rows.Select(r => (long)r[2]!));
        foreach (object?[] row in rows)
        {
            JsonObject record = JsonNode.Parse(File.ReadAllText(files.Single(f => Path.GetFileName(f) == $"neuron_{row[2]}.json")))!.AsObject();
            Assert.Equal("concepts", row[0]);
            Assert.Equal("layer2", row[1]);
            Assert.True(JsonNode.DeepEquals(record["result"], JsonNode.Parse((string)row[10]!)));
            Assert.True(JsonNode.DeepEquals(record["provenance"]!["options"], JsonNode.Parse((string)row[9]!)));
        }
    }

    [Theory]
    [InlineData("neurons")]
    [InlineData("references")]
    [InlineData("methods")]
    public void Export_CsvAndJsonLines_RoundTripToTheParquetCells(string what)
    {
        (string[] names, object?[][] expected) = ReadParquet(Export(what, "parquet"));
        Type?[] types = [.. Enumerable.Range(0, names.Length).Select(c => expected.Select(r => r[c]?.GetType()).FirstOrDefault(t => t is not null))];

        string[][] csv = ParseCsv(File.ReadAllText(Export(what, "csv")));
        Assert.Equal(names, csv[0]);
        Assert.Equal(expected.Length, csv.Length - 1);
        for (int r = 0; r < expected.Length; r++)
            for (int c = 0; c < names.Length; c++)
            {
                string cell = csv[r + 1][c];
                object? back = cell.Length == 0 && expected[r][c] is not string ? null
                    : types[c] == typeof(long) ? (object)long.Parse(cell, CultureInfo.InvariantCulture)
                    : types[c] == typeof(double) ? (object)double.Parse(cell, CultureInfo.InvariantCulture) : cell;
                Assert.Equal(expected[r][c], back);
            }

        string[] lines = File.ReadAllLines(Export(what, "jsonl"));
        Assert.Equal(expected.Length, lines.Length);
        for (int r = 0; r < expected.Length; r++)
        {
            using JsonDocument doc = JsonDocument.Parse(lines[r]);
            Assert.Equal(names, doc.RootElement.EnumerateObject().Select(p => p.Name));
            for (int c = 0; c < names.Length; c++)
            {
                JsonElement e = doc.RootElement.GetProperty(names[c]);
                object? back = e.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.String => e.GetString(),
                    _ => types[c] == typeof(long) ? (object)e.GetInt64() : e.GetDouble(),
                };
                Assert.Equal(expected[r][c] is double d && !double.IsFinite(d) ? null : expected[r][c], back);
            }
        }
    }

    // RFC 4180: fields separated by commas, quoted fields may hold commas, quotes ("") and newlines.
    private static string[][] ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (ch == '\n') { row.Add(field.ToString()); field.Clear(); rows.Add([.. row]); row.Clear(); }
            else field.Append(ch);
        }
        return [.. rows];
    }

    [Fact]
    public async Task Export_BadOptions_ExitWithOneMessageAndHint()
    {
        string dir = Directory.CreateTempSubdirectory("unravel-export-bad-").FullName;
        string notAtlas = Directory.CreateTempSubdirectory("unravel-not-atlas-").FullName;
        try
        {
            (string[] Args, string Expected)[] cases =
            [
                ([fixture.Atlas, "--format", "xml", "--out", Path.Combine(dir, "a")], "--format 'xml' is not one of parquet, csv, jsonl"),
                ([fixture.Atlas, "--format", "csv", "--what", "cells", "--out", Path.Combine(dir, "a")], "--what 'cells' is not one of neurons, references, methods"),
                ([fixture.Atlas, "--format", "csv", "--out", Path.Combine(dir, "no", "a.csv")], "does not exist"),
                ([fixture.Atlas, "--format", "csv", "--out", dir], "is a folder"),
                ([notAtlas, "--format", "csv", "--out", Path.Combine(dir, "a.csv")], notAtlas),
            ];
            foreach ((string[] args, string expected) in cases)
            {
                RootCommand root = new() { ExportCommand.Create() };
                var error = new StringWriter();
                int code = await CliRunner.InvokeAsync(root, ["export", .. args], error);
                Assert.True(code == ExitCodes.UsageError, $"{string.Join(' ', args)}: exit {code}, {error}");
                Assert.Contains(expected, error.ToString());
                Assert.Contains("hint:", error.ToString());
                Assert.Single(error.ToString().Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            }
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(notAtlas, recursive: true);
        }
    }
}
