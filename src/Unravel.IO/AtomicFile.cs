// Writes a file so that readers see either the old content or the complete new content, never a prefix:
// the bytes go to a temporary file in the same folder, are flushed to disk, and the file is renamed over the
// target (DESIGN.md §9 "No output is left half-written").

namespace Unravel.IO;

/// <summary>Atomic file writes: temp file in the same folder, flushed, renamed over the target.</summary>
public static class AtomicFile
{
    /// <summary>Runs <paramref name="write"/> on a temporary file next to <paramref name="path"/>, then renames it.</summary>
    /// <exception cref="DirectoryNotFoundException">The target folder does not exist; nothing is created.</exception>
    /// <remarks>On any exception the temporary file is deleted and the target is left untouched.</remarks>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"Cannot write '{path}': it names no file.", nameof(path));
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot write '{path}': folder '{folder}' does not exist.");
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            DeleteQuietly(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="data"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, byte[] data) => Write(path, stream => stream.Write(data));

    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new System.Text.UTF8Encoding(false).GetBytes(text));

    /// <summary>Best-effort removal of the temporary file while another exception is already propagating.</summary>
    private static void DeleteQuietly(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // The original exception matters more; a leftover ".tmp" file is harmless and recognisable.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
