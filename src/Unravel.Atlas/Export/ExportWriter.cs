// Writes an exported table as Parquet (Parquet.Net, one row group, every column optional), CSV (RFC 4180, header row,
// invariant culture, empty cell = null) or JSON lines (one object per row); each file is written to a temporary file
// and renamed, so a reader never sees half a table.

using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;
using Unravel.IO;

namespace Unravel.Atlas.Export;

/// <summary>Parquet, CSV and JSON-lines writers for <see cref="ExportTable"/>.</summary>
public static class ExportWriter
{
    /// <summary>Formats accepted by <see cref="Write"/>.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["parquet", "csv", "jsonl"];

    /// <summary>Writes <paramref name="table"/> to <paramref name="path"/> in <paramref name="format"/>, atomically.</summary>
    /// <exception cref="ArgumentException">Unknown format.</exception>
    /// <exception cref="DirectoryNotFoundException">The target folder does not exist.</exception>
    public static void Write(ExportTable table, string path, string format)
    {
        ArgumentNullException.ThrowIfNull(table);
        Action<Stream> write = format switch
        {
            "parquet" => s => WriteParquet(table, s),
            "csv" => s => WriteCsv(table, s),
            "jsonl" => s => WriteJsonLines(table, s),
            _ => throw new ArgumentException($"export: unknown format '{format}'; use one of {string.Join(", ", Formats)}.", nameof(format)),
        };
        AtomicFile.Write(path, write);
    }

    private static void WriteParquet(ExportTable table, Stream stream)
    {
        DataField[] fields = [.. table.Columns.Select(c => new DataField(c.Name, c.Type switch
        {
            ExportType.Int64 => typeof(long),
            ExportType.Float64 => typeof(double),
            _ => typeof(string),
        }, isNullable: true))];
        // Parquet.Net is asynchronous only; the CLI has no synchronisation context, so blocking here cannot deadlock.
        Task.Run(async () =>
        {
            await using ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream).ConfigureAwait(false);
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            for (int i = 0; i < fields.Length; i++)
            {
                int col = i;
                switch (table.Columns[i].Type)
                {
                    case ExportType.Int64:
                        await group.WriteAsync<long>(fields[i], table.Rows.Select(r => (long?)r[col]).ToArray().AsMemory()).ConfigureAwait(false);
                        break;
                    case ExportType.Float64:
                        await group.WriteAsync<double>(fields[i], table.Rows.Select(r => (double?)r[col]).ToArray().AsMemory()).ConfigureAwait(false);
                        break;
                    default:
                        await group.WriteAsync(fields[i], table.Rows.Select(r => (string?)r[col]).ToArray()!).ConfigureAwait(false);
                        break;
                }
            }
        }).GetAwaiter().GetResult();
    }

    private static void WriteCsv(ExportTable table, Stream stream)
    {
        using var w = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        w.WriteLine(string.Join(",", table.Columns.Select(c => Quote(c.Name))));
        foreach (object?[] row in table.Rows)
            w.WriteLine(string.Join(",", row.Select(v => v switch
            {
                null => "",
                long l => l.ToString(CultureInfo.InvariantCulture),
                double d => Number(d),
                _ => Quote(Convert.ToString(v, CultureInfo.InvariantCulture)!),
            })));
    }

    // Shortest round-trip decimal; NaN and infinities as NumPy/pandas write and read them.
    private static string Number(double d) => double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "inf" : double.IsNegativeInfinity(d) ? "-inf"
        : d.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string s) =>
        s.Length > 0 && s.IndexOfAny([',', '"', '\n', '\r']) < 0 && s.Trim() == s ? s : $"\"{s.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static void WriteJsonLines(ExportTable table, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        foreach (object?[] row in table.Rows)
        {
            w.WriteStartObject();
            for (int i = 0; i < row.Length; i++)
            {
                w.WritePropertyName(table.Columns[i].Name);
                switch (row[i])
                {
                    case null: w.WriteNullValue(); break;
                    case long l: w.WriteNumberValue(l); break;
                    case double d when double.IsFinite(d): w.WriteNumberValue(d); break;
                    case double: w.WriteNullValue(); break;
                    default: w.WriteStringValue(Convert.ToString(row[i], CultureInfo.InvariantCulture)); break;
                }
            }
            w.WriteEndObject();
            w.Flush();
            w.Reset();
            stream.WriteByte((byte)'\n');
        }
    }
}
