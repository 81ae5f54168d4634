// Writes a file so that readers never see it half-written: the bytes go to a temp file in the same folder, which
// is flushed and then renamed over the target (DESIGN.md §9).

namespace Unravel.IO.Images;

internal static class AtomicFile
{
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> data)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        bool moved = false;
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(data);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
            moved = true;
        }
        finally
        {
            if (!moved && File.Exists(tmp))
                File.Delete(tmp);
        }
    }
}
