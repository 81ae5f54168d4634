// One atomic step that adds files and atlas.db rows to an existing atlas together (DESIGN.md §9), the path every
// method record takes. atlas.db is the single commit point:
//   1. the files are written (flushed) under .staging/<id>/ in the atlas, mirroring their final paths;
//   2. the rows go into one SQLite transaction together with a journal row meta('commit:<id>', [paths]), and the
//      transaction commits: from here on the step has happened;
//   3. the staged files are renamed over their final paths, the staging folder and the journal row are deleted.
// A kill before 2 leaves a staging folder with no journal row: the next writer (or reader) deletes it, the atlas is as
// it was. A kill after 2 leaves a journal row: the next writer (or reader) finishes the renames (each is idempotent),
// so the atlas is as the completed run left it. Either way no new file sits beside old rows. Recovery runs under the
// atlas's lock; a reader that cannot take it (a writer is at work) leaves the folder alone.

using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Unravel.Atlas;

/// <summary>Files and atlas.db rows added to an atlas in one atomic step.</summary>
public sealed class AtlasCommit : IDisposable
{
    /// <summary>Folder in the atlas holding the files of commits in progress.</summary>
    public const string StagingFolder = ".staging";

    private const string JournalPrefix = "commit:";

    private readonly string _root;
    private readonly string _id;
    private readonly string _folder;
    private readonly AtlasLock _lock;
    private readonly List<string> _files = [];
    private AtlasDatabase? _database;
    private bool _done;

    private AtlasCommit(string root, AtlasLock held)
    {
        _root = root;
        _lock = held;
        _id = $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}";
        _folder = Path.Combine(root, StagingFolder, _id);
        Directory.CreateDirectory(_folder);
    }

    /// <summary>Test seam: called with the atlas and the point reached ("writing" halfway through a staged file, "staged",
    /// "committed"), so that a test can throw there as a full disk or a kill would.</summary>
    internal static Action<string, string>? Checkpoint { get; set; }

    /// <summary>Starts a step on the atlas at <paramref name="atlasRoot"/>: takes its lock (re-entrant) and recovers earlier steps.</summary>
    /// <param name="atlasRoot">The atlas folder.</param>
    /// <param name="command">What writes, for the "in use" message.</param>
    /// <param name="waitForOthers">Wait while another process holds the lock (neuron shards committing one after the
    /// other) instead of failing.</param>
    /// <exception cref="AtlasInUseException">Another process writes the atlas (and <paramref name="waitForOthers"/> is false).</exception>
    public static AtlasCommit Begin(string atlasRoot, string command, bool waitForOthers = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(atlasRoot);
        string root = Path.GetFullPath(atlasRoot);
        AtlasLock held = waitForOthers ? AtlasLock.AcquireWaiting(root, command) : AtlasLock.Acquire(root, command);
        try
        {
            Recover(root);
            return new AtlasCommit(root, held);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>The atlas's database, writable, inside this step's transaction (opened on first use).</summary>
    public AtlasDatabase Database => _database ??= AtlasDatabase.Open(_root, writable: true);

    /// <summary>Writes <paramref name="content"/> to be placed at <paramref name="relativePath"/> (below the atlas) on commit.</summary>
    public void Stage(string relativePath, ReadOnlySpan<byte> content)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        ObjectDisposedException.ThrowIf(_done, this);
        string rel = relativePath.Replace('\\', '/');
        if (!IsPlainRelativePath(rel))
            throw new ArgumentException($"'{relativePath}' is not a plain path inside the atlas.", nameof(relativePath));
        string file = Path.Combine(_folder, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
        {
            stream.Write(content[..(content.Length / 2)]);
            Checkpoint?.Invoke(_root, "writing");
            stream.Write(content[(content.Length / 2)..]);
            stream.Flush(flushToDisk: true);
        }
        _files.Add(rel);
    }

    /// <summary>Commits the rows and the staged files together.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        Checkpoint?.Invoke(_root, "staged");
        Database.Execute("INSERT OR REPLACE INTO meta (key, value) VALUES ($k, $v)",
            ("$k", JournalPrefix + _id), ("$v", JsonSerializer.Serialize(_files)));
        AtlasDatabase db = Database;
        db.Commit();
        db.Dispose();
        _database = null;
        _done = true;
        Checkpoint?.Invoke(_root, "committed");
        Apply(_root, _id, _files);
    }

    /// <summary>Ends the step: without <see cref="Commit"/> the rows roll back and the staged files are deleted.</summary>
    public void Dispose()
    {
        try
        {
            _database?.Dispose();
            if (!_done && Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
            _done = true;
            DeleteIfEmpty(Path.Combine(_root, StagingFolder));
        }
        finally
        {
            _lock.Dispose();
        }
    }

    /// <summary>Finishes committed steps and deletes the staging folders of uncommitted ones; needs the atlas's lock.</summary>
    /// <returns>How many steps were finished and how many discarded.</returns>
    public static (int Finished, int Discarded) Recover(string atlasRoot)
    {
        string root = Path.GetFullPath(atlasRoot);
        string staging = Path.Combine(root, StagingFolder);
        if (!Directory.Exists(staging)) return (0, 0);
        if (!AtlasLock.IsHeld(root)) throw new InvalidOperationException($"recovering {root} needs its lock.");
        var journal = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string file = Path.Combine(root, AtlasWriter.DatabaseFile);
        if (File.Exists(file))
        {
            using AtlasDatabase db = AtlasDatabase.Open(root);
            foreach (object?[] row in db.Query("SELECT key, value FROM meta WHERE key LIKE 'commit:%'").Rows)
            {
                (string id, List<string> files) = JournalEntry(file, row[0], row[1]);
                journal[id] = files;
            }
        }
        int finished = 0, discarded = 0;
        foreach ((string id, List<string> files) in journal)
        {
            Apply(root, id, files);
            finished++;
        }
        foreach (string dir in Directory.EnumerateDirectories(staging))
        {
            Directory.Delete(dir, recursive: true);
            discarded++;
        }
        DeleteIfEmpty(staging);
        return (finished, discarded);
    }

    /// <summary>A journal row as written by <see cref="Commit"/>: the step's id (a plain folder name under the staging folder) and
    /// its files (plain relative paths below the atlas). Anything else would make recovery move or delete files outside the
    /// atlas, so a hostile or damaged atlas.db is refused.</summary>
    /// <exception cref="AtlasFormatException">The row is not such an entry.</exception>
    private static (string Id, List<string> Files) JournalEntry(string file, object? key, object? value)
    {
        string id = key is string k && k.StartsWith(JournalPrefix, StringComparison.Ordinal) ? k[JournalPrefix.Length..] : "";
        List<string>? files = null;
        try
        {
            files = value is string v ? JsonSerializer.Deserialize<List<string>>(v) : null;
        }
        catch (JsonException)
        {
        }
        if (!IsPlainName(id) || files is null || !files.All(IsPlainRelativePath))
            throw new AtlasFormatException(file, $"the commit journal row '{key}' is not a step id with a list of paths inside the atlas.",
                "the atlas is damaged or was tampered with; re-create it with `unravel collect`");
        return (id, files);
    }

    private static bool IsPlainName(string name) =>
        name.Length is > 0 and <= 128 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A relative path of plain segments (no root, no empty, "." or ".." segment), as <see cref="Stage"/> accepts.</summary>
    private static bool IsPlainRelativePath(string? path) =>
        !string.IsNullOrEmpty(path) && !Path.IsPathRooted(path) && path.IndexOf('\\') < 0 && path.IndexOf('\0') < 0
        && path.Split('/').All(p => p is not ("" or "." or ".."));

    private static void DeleteIfEmpty(string folder)
    {
        if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
    }

    /// <summary>Recovers the atlas if an earlier step was interrupted and no writer is at work, and deletes the hidden folder of a
    /// killed report; cheap when there is nothing to do.</summary>
    public static void RecoverIfNeeded(string atlasRoot)
    {
        string root = Path.GetFullPath(atlasRoot);
        try
        {
            AtomicDirectory.CleanStale(Path.Combine(root, "report"));   // a killed report's hidden folder (PID-checked, no lock needed)
            if (!Directory.Exists(Path.Combine(root, StagingFolder))) return;
            using AtlasLock? held = AtlasLock.TryAcquire(root, "recover");
            if (held is not null) Recover(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            // A read-only atlas cannot be repaired by a reader; the next writer does it.
        }
    }

    /// <summary>Moves the staged files of step <paramref name="id"/> into place and forgets the step.</summary>
    private static void Apply(string root, string id, IReadOnlyList<string> files)
    {
        string folder = Path.Combine(root, StagingFolder, id);
        foreach (string rel in files)
        {
            string from = Path.Combine(folder, rel);
            if (!File.Exists(from)) continue;   // moved before the kill
            string to = Path.Combine(root, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Move(from, to, overwrite: true);
        }
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        using AtlasDatabase db = AtlasDatabase.Open(root, writable: true);
        db.Execute("DELETE FROM meta WHERE key = $k", ("$k", JournalPrefix + id));
        db.Commit();
    }
}
