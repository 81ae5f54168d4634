// The writer's lock of an atlas (DESIGN.md §9): every command that writes an atlas (collect and merge into their --out,
// each method stage, the report, the explorer's on-demand analyses) holds it, so that two writers never interleave.
// The lock is an exclusive advisory lock (FileShare.None, flock on Unix) on the hidden file ".NAME.lock" next to the
// atlas folder: next to, not inside, because collect creates the folder and replaces it with an atomic rename. The
// operating system drops the lock when its process dies, so a SIGKILL never leaves the atlas locked; the holder's PID
// and command line go to ".NAME.lock.owner" (a locked file cannot be read by another .NET process), which names the
// holder in the "in use" message and, found by the next holder, the run that ended without releasing it.
// Within one process the lock is re-entrant along a call chain (a stage holds it and the method's commit takes it
// again) and other threads wait for it (the explorer's concurrent analyses); a second process fails at once.

using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Unravel.Atlas;

/// <summary>An acquired writer's lock of an atlas; dispose to release it.</summary>
public sealed class AtlasLock : IDisposable
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> s_gates = new(StringComparer.Ordinal);
    private static readonly AsyncLocal<ImmutableHashSet<string>> s_held = new();

    private readonly string _target;
    private readonly FileStream? _stream;
    private readonly string? _ownerFile;
    private bool _disposed;

    private AtlasLock(string target, FileStream? stream, string? ownerFile, string? tookOverFrom)
    {
        _target = target;
        _stream = stream;
        _ownerFile = ownerFile;
        TookOverFrom = tookOverFrom;
    }

    /// <summary>Raised with a one-line note when a lock left by a process that ended is taken over (the CLI prints it).</summary>
    public static event Action<string>? Notice;

    /// <summary>"PID n (command line)" of a holder that ended without releasing the lock, when this acquisition took it over.</summary>
    public string? TookOverFrom { get; }

    /// <summary>Path of the lock file of the atlas folder <paramref name="atlas"/> (which need not exist yet).</summary>
    public static string LockPath(string atlas)
    {
        string full = Full(atlas);
        return Path.Combine(Path.GetDirectoryName(full) ?? full, $".{Path.GetFileName(full)}.lock");
    }

    /// <summary>Takes the writer's lock of the atlas folder <paramref name="atlas"/>, waiting for other threads of this process.</summary>
    /// <param name="atlas">The atlas folder (it need not exist yet: collect and merge lock their --out before creating it).</param>
    /// <param name="command">What takes it ("collect", "concepts", …), recorded with the PID for the "in use" message.</param>
    /// <param name="cancellationToken">Stops waiting for another thread of this process.</param>
    /// <exception cref="AtlasInUseException">Another process holds it.</exception>
    public static AtlasLock Acquire(string atlas, string command, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(atlas);
        string target = Full(atlas);
        ImmutableHashSet<string> held = s_held.Value ?? [];
        if (held.Contains(target)) return new AtlasLock(target, null, null, null);   // re-entered along this call chain
        SemaphoreSlim gate = s_gates.GetOrAdd(target, _ => new SemaphoreSlim(1, 1));
        gate.Wait(cancellationToken);
        try
        {
            AtlasLock taken = Take(target, command);
            s_held.Value = held.Add(target);
            return taken;
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>Takes the lock, waiting (polling every 200 ms) while another process holds it: for neuron shards of one
    /// fan-out, which commit their record files to one atlas one after the other.</summary>
    /// <param name="atlas">The atlas folder.</param>
    /// <param name="command">What takes it, recorded with the PID.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public static AtlasLock AcquireWaiting(string atlas, string command, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryAcquire(atlas, command) is { } taken) return taken;
            Task.Delay(200, cancellationToken).Wait(cancellationToken);
        }
    }

    /// <summary>Takes the lock unless another process or thread holds it (then null); for best-effort recovery by readers.</summary>
    public static AtlasLock? TryAcquire(string atlas, string command)
    {
        string target = Full(atlas);
        if ((s_held.Value ?? []).Contains(target)) return new AtlasLock(target, null, null, null);
        SemaphoreSlim gate = s_gates.GetOrAdd(target, _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(0)) return null;
        try
        {
            AtlasLock taken = Take(target, command);
            s_held.Value = (s_held.Value ?? []).Add(target);
            return taken;
        }
        catch (AtlasInUseException)
        {
            gate.Release();
            return null;
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>Whether this call chain holds the lock of <paramref name="atlas"/>.</summary>
    public static bool IsHeld(string atlas) => (s_held.Value ?? []).Contains(Full(atlas));

    /// <summary>True when the process <paramref name="pid"/> is running.</summary>
    internal static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_stream is null) return;   // a re-entrant handle: the outer one releases
        // The owner file goes first, while the lock is still held; the lock file itself stays (deleting a locked file
        // lets a process that opened it just before lock a file no longer in the folder, beside a newcomer's new one).
        try
        {
            if (_ownerFile is not null) File.Delete(_ownerFile);
        }
        catch (IOException)
        {
            // A leftover owner file only makes the next holder mention this run as ended; the lock is what matters.
        }
        _stream.Dispose();
        s_held.Value = (s_held.Value ?? []).Remove(_target);
        s_gates[_target].Release();
    }

    private static AtlasLock Take(string target, string command)
    {
        string file = LockPath(target);
        string ownerFile = file + ".owner";
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        FileStream stream;
        try
        {
            stream = new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            (int? pid, string? line) = ReadOwner(ownerFile);
            string who = pid is { } p ? $"PID {p} ({line ?? "command unknown"})" : "another process";
            throw new AtlasInUseException(target, pid,
                $"atlas {target} is in use by {who}.",
                "wait for that command to finish, or stop it; a lock whose process has ended is taken over by the next command", e);
        }
        string? tookOver = null;
        (int? oldPid, string? oldLine) = ReadOwner(ownerFile);
        if (oldPid is { } dead && dead != Environment.ProcessId)
        {
            tookOver = $"PID {dead} ({oldLine ?? "command unknown"})";
            Notice?.Invoke($"note: took over the lock of {target} left by {tookOver}, which ended without releasing it.");
        }
        var owner = new JsonObject
        {
            ["pid"] = Environment.ProcessId, ["command"] = command,
            ["command_line"] = "unravel " + string.Join(" ", Environment.GetCommandLineArgs().Skip(1)),
            ["started_utc"] = DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
        };
        try
        {
            IO.AtomicFile.WriteAllText(ownerFile, owner.ToJsonString());
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        CleanStale(target);
        return new AtlasLock(target, stream, ownerFile, tookOver);
    }

    /// <summary>Deletes what killed writers of <paramref name="target"/> left beside it: hidden folders of an atomic folder write
    /// and temporary files of a checkpoint write (only the lock's holder writes either, so all that remain are stale).</summary>
    private static void CleanStale(string target)
    {
        AtomicDirectory.CleanStale(target);
        string parent = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(parent)) return;
        foreach (string file in Directory.EnumerateFiles(parent, $".{Path.GetFileName(target)}.checkpoint.*.tmp"))
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // The next run tries again.
            }
        }
    }

    private static (int? Pid, string? CommandLine) ReadOwner(string ownerFile)
    {
        try
        {
            if (!File.Exists(ownerFile)) return (null, null);
            JsonNode? node = JsonNode.Parse(File.ReadAllText(ownerFile));
            return (node?["pid"]?.GetValue<int>(), node?["command_line"]?.GetValue<string>() ?? node?["command"]?.GetValue<string>());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            return (null, null);   // a damaged owner file only loses the name of the holder
        }
    }

    private static string Full(string atlas) => Path.GetFullPath(atlas.TrimEnd('/', '\\') is { Length: > 0 } t ? t : atlas);
}
