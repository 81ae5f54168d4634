// The files of an image folder in torchvision's ImageFolder order (torchvision.datasets.folder.make_dataset): class
// names are the subfolder names sorted ordinally (label = index in that order), and each class folder's .png/.jpg/.jpeg
// files are taken recursively, sorted by relative path. A folder without subfolders is read as one unlabelled list of
// its image files, sorted by name.

namespace Unravel.IO.Images;

/// <summary>Image files of a folder with labels from class subfolders, in torchvision <c>ImageFolder</c> order.</summary>
/// <param name="Root">The folder, as given.</param>
/// <param name="Classes">Sorted class subfolder names (label = index), or empty for a flat folder.</param>
/// <param name="Files">Full paths in order.</param>
/// <param name="Labels">Label per file, or null for a flat folder.</param>
public sealed record ImageFolder(string Root, IReadOnlyList<string> Classes, IReadOnlyList<string> Files, int[]? Labels)
{
    /// <summary>Whether <paramref name="path"/> has an image extension this library decodes (.png, .jpg, .jpeg).</summary>
    public static bool IsImageFile(string path) => Path.GetExtension(path).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg";

    /// <summary>Lists <paramref name="folder"/>: class subfolders when it has any, else its own image files.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static ImageFolder List(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string[] classes = [.. Directory.GetDirectories(folder).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)];
        if (classes.Length == 0)
            return new ImageFolder(folder, [], [.. Directory.EnumerateFiles(folder).Where(IsImageFile).Order(StringComparer.Ordinal)], null);
        var files = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < classes.Length; c++)
        {
            string dir = Path.Combine(folder, classes[c]);
            foreach (string f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(IsImageFile)
                         .Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal))
            {
                files.Add(Path.Combine(dir, f));
                labels.Add(c);
            }
        }
        return new ImageFolder(folder, classes, files, [.. labels]);
    }
}
