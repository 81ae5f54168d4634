// A content hash of an atlas for kill and atomicity tests: every file below the folder (relative path and bytes, atlas.db
// left out) and every row of every table of atlas.db (schema included), so that two atlases hash equal exactly when a
// reader sees the same atlas. Linked into the CLI tests.

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Unravel.Atlas.Tests;

internal static class AtlasContent
{
    /// <summary>SHA-256 (hex) of the atlas's files and database rows; <paramref name="skip"/> filters relative paths out.</summary>
    public static string Hash(string atlas, Func<string, bool>? skip = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in Directory.EnumerateFiles(atlas, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string rel = Path.GetRelativePath(atlas, file).Replace('\\', '/');
            if (rel is "atlas.db" or "atlas.db-journal" || skip?.Invoke(rel) == true) continue;
            hash.AppendData(Encoding.UTF8.GetBytes(rel + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }
        hash.AppendData(Encoding.UTF8.GetBytes(DatabaseDump(atlas)));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Schema and rows of every table, sorted, as text.</summary>
    public static string DatabaseDump(string atlas)
    {
        var text = new StringBuilder();
        using var connection = new SqliteConnection($"Data Source={Path.Combine(atlas, "atlas.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var tables = new List<(string Name, string Sql)>();
        using (SqliteCommand c = connection.CreateCommand())
        {
            c.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name";
            using SqliteDataReader r = c.ExecuteReader();
            while (r.Read()) tables.Add((r.GetString(0), r.GetString(1)));
        }
        foreach ((string name, string sql) in tables)
        {
            text.AppendLine(sql);
            using SqliteCommand c = connection.CreateCommand();
            c.CommandText = $"SELECT * FROM \"{name}\"";
            using SqliteDataReader r = c.ExecuteReader();
            var rows = new List<string>();
            while (r.Read())
                rows.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "NULL"
                    : Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture) ?? "")));
            rows.Sort(StringComparer.Ordinal);
            foreach (string row in rows) text.AppendLine(row);
        }
        return text.ToString();
    }
}
