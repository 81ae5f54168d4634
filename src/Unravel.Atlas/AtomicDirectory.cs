// Writes a whole folder (an atlas, a report) so that a reader never sees half of it (DESIGN.md §9): the content is
// built in a hidden sibling folder, then renamed into place; an existing folder is moved aside first and deleted
// after. A failure deletes the half-written sibling and leaves the old folder as it was. The hidden siblings carry the
// writer's PID, so that the next write of the same folder deletes those of a run that was killed (SIGKILL runs no
// cleanup) without touching those of a run still in progress.

using System.Globalization;

namespace Unravel.Atlas;

/// <summary>Atomic replacement of a folder.</summary>
public static class AtomicDirectory
{
    /// <summary>Builds <paramref name="target"/> by calling <paramref name="write"/> with an empty temporary folder next to it.</summary>
    /// <param name="target">The folder to create or replace.</param>
    /// <param name="write">Fills the folder it is given.</param>
    /// <returns>The full path of <paramref name="target"/>.</returns>
    public static string Write(string target, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(target.TrimEnd(Path.DirectorySeparatorChar));
        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        CleanStale(full);
        string pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        string temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{pid}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(temp);
            write(temp);
            if (Directory.Exists(full))
            {
                string old = Path.Combine(parent, $".{Path.GetFileName(full)}.old-{pid}-{Guid.NewGuid():N}");
                Directory.Move(full, old);
                Directory.Move(temp, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, full);
            }
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        return full;
    }

    /// <summary>Deletes the hidden temporary siblings of <paramref name="target"/> left by runs that are no longer alive (an old
    /// folder moved aside just before the kill is moved back when the target is missing).</summary>
    /// <returns>The folders deleted.</returns>
    public static IReadOnlyList<string> CleanStale(string target)
    {
        string full = Path.GetFullPath(target.TrimEnd(Path.DirectorySeparatorChar));
        string parent = Path.GetDirectoryName(full)!;
        var deleted = new List<string>();
        if (!Directory.Exists(parent)) return deleted;
        string name = Path.GetFileName(full);
        foreach (string kind in (string[])["tmp", "old"])
            foreach (string dir in Directory.EnumerateDirectories(parent, $".{name}.{kind}-*"))
            {
                // ".NAME.tmp-PID-GUID"; the PID-less names of earlier versions count as stale.
                string rest = Path.GetFileName(dir)[$".{name}.{kind}-".Length..];
                int dash = rest.IndexOf('-', StringComparison.Ordinal);
                if (dash > 0 && int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && AtlasLock.IsAlive(pid))
                    continue;
                try
                {
                    if (kind == "old" && !Directory.Exists(full))
                    {
                        // Killed between moving the old folder aside and moving the new one in: the old one comes back.
                        Directory.Move(dir, full);
                        continue;
                    }
                    Directory.Delete(dir, recursive: true);
                    deleted.Add(dir);
                }
                catch (IOException)
                {
                    // Another cleaner got there first, or a file is busy: the next run tries again.
                }
            }
        return deleted;
    }
}
