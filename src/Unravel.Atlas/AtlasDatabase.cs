// atlas.db, the SQLite index of an atlas (docs/atlas-format.md): every SQL statement of Unravel runs through this
// class or AtlasWriter. A writable handle holds one transaction that Commit ends, so a method's rows for a layer are
// replaced all at once or not at all; a read-only handle serves the report, `unravel neurons` and `unravel query`.

using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Unravel.Atlas;

/// <summary>An open atlas.db.</summary>
public sealed class AtlasDatabase : IDisposable
{
    private readonly SqliteConnection _connection;
    private SqliteTransaction? _transaction;

    private readonly string _file;

    private AtlasDatabase(SqliteConnection connection, string file, bool writable)
    {
        _connection = connection;
        _file = file;
        if (writable) _transaction = connection.BeginTransaction();
    }

    /// <summary>Opens the atlas's database; a writable one starts a transaction.</summary>
    public static AtlasDatabase Open(AtlasReader atlas, bool writable = false)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        return Open(atlas.Root, writable);
    }

    /// <summary>Opens ATLAS/atlas.db and checks that it is an atlas database: the tables meta, layers and neurons (plain
    /// tables, neurons with its layer and idx columns), column names that are plain identifiers, and no view or trigger
    /// (Unravel writes none; a view could run without end, a trigger could write behind a read).</summary>
    /// <exception cref="AtlasFormatException">There is no atlas.db, or it is not an atlas database or is damaged.</exception>
    public static AtlasDatabase Open(string atlasRoot, bool writable = false)
    {
        string file = Path.Combine(atlasRoot, AtlasWriter.DatabaseFile);
        if (!File.Exists(file))
            throw new AtlasFormatException(atlasRoot, $"not an atlas (no {AtlasWriter.DatabaseFile}).",
                "create one with `unravel collect MODEL --data DATA --layers L --out ATLAS`");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = file, Mode = writable ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadOnly, Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            CheckSchema(connection, file);
            return new AtlasDatabase(connection, file, writable);
        }
        catch (SqliteException e) when (IsDamage(e) || e.SqliteErrorCode == SQLitePCL.raw.SQLITE_ERROR)
        {
            connection.Dispose();
            throw Damaged(file, e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void CheckSchema(SqliteConnection connection, string file)
    {
        var objects = new List<(string Type, string Name)>();
        bool virtualTable = false;
        using (SqliteCommand command = connection.CreateCommand())
        {
            command.CommandText = "SELECT type, name, sql FROM sqlite_master";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                objects.Add((reader.GetValue(0) as string ?? "", reader.GetValue(1) as string ?? ""));
                virtualTable |= reader.GetValue(2) is string sql && sql.StartsWith("CREATE VIRTUAL", StringComparison.OrdinalIgnoreCase);
            }
        }
        string? Problem()
        {
            if (objects.FirstOrDefault(o => o.Type is not ("table" or "index")) is { Type.Length: > 0 } other) return $"it holds a {other.Type} '{other.Name}'";
            if (virtualTable) return "it holds a virtual table";
            foreach (string table in new[] { "meta", "layers", "neurons" })
                if (!objects.Contains(("table", table))) return $"it has no table '{table}'";
            Dictionary<string, List<string>> tables = ColumnNames(connection);
            foreach ((_, string table) in objects.Where(o => o.Type == "table" && !o.Name.StartsWith("sqlite_", StringComparison.Ordinal)))
            {
                if (!IsIdentifier(table)) return $"it has a table named '{table}'";
                List<string> columns = tables.GetValueOrDefault(table) ?? [];
                if (columns.FirstOrDefault(c => !IsIdentifier(c)) is { } odd) return $"its table {table} has a column named '{odd}'";
                if (table == "neurons" && !(columns.Contains("layer") && columns.Contains("idx"))) return "its neurons table lacks the layer or idx column";
                if (table == "meta" && !(columns.Contains("key") && columns.Contains("value"))) return "its meta table lacks the key or value column";
            }
            return null;
        }
        if (Problem() is { } problem)
            throw new AtlasFormatException(file, $"not an atlas database: {problem}.", "re-create the atlas with `unravel collect`");
    }

    /// <summary>The column names of every table, by table, in one statement.</summary>
    private static Dictionary<string, List<string>> ColumnNames(SqliteConnection connection)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p WHERE m.type = 'table'";
        using SqliteDataReader reader = command.ExecuteReader();
        var tables = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        while (reader.Read())
        {
            string table = reader.GetValue(0) as string ?? "";
            if (!tables.TryGetValue(table, out List<string>? names)) tables[table] = names = [];
            names.Add(reader.GetValue(1) as string ?? "");
        }
        return tables;
    }

    /// <summary>Whether <paramref name="name"/> is a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*), as every table and column Unravel creates.</summary>
    private static bool IsIdentifier(string name) =>
        name.Length is > 0 and <= 128 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>An SQLite error that is no mistake of the statement but of the file (corrupt, not a database, unreadable).</summary>
    private static bool IsDamage(SqliteException e) =>
        e.SqliteErrorCode is not (SQLitePCL.raw.SQLITE_ERROR or SQLitePCL.raw.SQLITE_READONLY or SQLitePCL.raw.SQLITE_INTERRUPT
            or SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED or SQLitePCL.raw.SQLITE_CONSTRAINT);

    private static AtlasFormatException Damaged(string file, SqliteException e) =>
        new(file, $"not an atlas database, or a damaged one ({e.Message}).", "re-create the atlas with `unravel collect`", e);

    /// <summary>Runs a statement with $-named parameters (null = SQL NULL).</summary>
    /// <exception cref="AtlasFormatException">The database file is damaged.</exception>
    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        try
        {
            using SqliteCommand command = Command(sql, parameters);
            return command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            throw Damaged(_file, e);
        }
    }

    /// <summary>Runs a query and returns its column names and rows (values as CLR objects, NULL as null).</summary>
    /// <exception cref="UnravelException">The SQL is invalid or tries to write to a read-only atlas.</exception>
    public (string[] Columns, List<object?[]> Rows) Query(string sql, params (string Name, object? Value)[] parameters) =>
        Query(sql, int.MaxValue, Timeout.InfiniteTimeSpan, parameters);

    /// <summary>Runs a query of a user (`unravel query`) with a row and a time limit.</summary>
    /// <param name="sql">The query.</param>
    /// <param name="maxRows">More rows than this stop the query.</param>
    /// <param name="timeout">The query is interrupted after this long (sqlite3_interrupt).</param>
    /// <param name="parameters">$-named parameters.</param>
    /// <exception cref="UnravelException">The SQL is invalid, writes, returns more than <paramref name="maxRows"/> rows or runs too long;
    /// an <see cref="AtlasFormatException"/> when the database file is damaged.</exception>
    public (string[] Columns, List<object?[]> Rows) Query(string sql, int maxRows, TimeSpan timeout, params (string Name, object? Value)[] parameters)
    {
        using var interrupt = timeout == Timeout.InfiniteTimeSpan ? null
            : new Timer(_ => SQLitePCL.raw.sqlite3_interrupt(_connection.Handle), null, timeout, Timeout.InfiniteTimeSpan);
        try
        {
            using SqliteCommand command = Command(sql, parameters);
            using SqliteDataReader reader = command.ExecuteReader();
            string[] columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            var rows = new List<object?[]>();
            while (reader.Read())
            {
                if (rows.Count == maxRows)
                    throw new UnravelException($"SQL: the query returns more than {maxRows} rows.", "add a LIMIT or a WHERE clause, or raise --max-rows");
                rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i)).ToArray());
            }
            return (columns, rows);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_INTERRUPT)
        {
            throw new UnravelException(string.Create(CultureInfo.InvariantCulture, $"SQL: the query ran longer than {timeout.TotalSeconds:0.#} s and was stopped."),
                "narrow it with WHERE or LIMIT, or raise --timeout");
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            throw Damaged(_file, e);
        }
        catch (SqliteException e)
        {
            throw new UnravelException($"SQL: {e.Message}",
                "tables: neurons, layers, meta and the methods' tables (the atlas is opened read-only); e.g. SELECT * FROM neurons LIMIT 5");
        }
    }

    /// <summary>The column names of <paramref name="table"/>, in table order.</summary>
    public IReadOnlyList<string> ColumnsOf(string table) =>
        Query("SELECT name FROM pragma_table_info($t) ORDER BY cid", ("$t", table)).Rows.Select(r => (string)r[0]!).ToList();

    /// <summary>Adds a column to a table unless it exists (methods extend the neurons table this way).</summary>
    public void EnsureColumn(string table, string column, string type)
    {
        if (ColumnsOf(table).Contains(column)) return;
        Execute($"ALTER TABLE {table} ADD COLUMN {column} {type}");
    }

    /// <summary>Commits the transaction of a writable handle.</summary>
    public void Commit()
    {
        _transaction?.Commit();
        _transaction?.Dispose();
        _transaction = null;
    }

    /// <summary>A value as the CLI prints it (invariant culture, doubles with 6 significant digits).</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        _transaction?.Dispose();
        _connection.Dispose();
    }

    private SqliteCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
