// Writes a whole folder (an atlas, a report) so that a reader never sees half of it (DESIGN.md §9): the content is
// built in a hidden sibling folder, then renamed into place; an existing folder is moved aside first and deleted
// after. A failure deletes the half-written sibling and leaves the old folder as it was.

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
        string temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(temp);
            write(temp);
            if (Directory.Exists(full))
            {
                string old = Path.Combine(parent, $".{Path.GetFileName(full)}.old-{Guid.NewGuid():N}");
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
}
