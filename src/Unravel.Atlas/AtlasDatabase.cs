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

    private AtlasDatabase(SqliteConnection connection, bool writable)
    {
        _connection = connection;
        if (writable) _transaction = connection.BeginTransaction();
    }

    /// <summary>Opens the atlas's database; a writable one starts a transaction.</summary>
    public static AtlasDatabase Open(AtlasReader atlas, bool writable = false)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        return Open(atlas.Root, writable);
    }

    /// <summary>Opens ATLAS/atlas.db.</summary>
    /// <exception cref="AtlasFormatException">There is no atlas.db.</exception>
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
        connection.Open();
        return new AtlasDatabase(connection, writable);
    }

    /// <summary>Runs a statement with $-named parameters (null = SQL NULL).</summary>
    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = Command(sql, parameters);
        return command.ExecuteNonQuery();
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
    /// <exception cref="UnravelException">The SQL is invalid, writes, returns more than <paramref name="maxRows"/> rows or runs too long.</exception>
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
