// An atlas file that cannot be read: no manifest, a manifest or method result that is not valid JSON or misses a
// field, an array that is absent, or an atlas written by a newer format than this reader knows (docs/atlas-format.md).

namespace Unravel;

/// <summary>An atlas (or one of its files) cannot be read.</summary>
/// <param name="file">The file (or atlas folder) concerned.</param>
/// <param name="problem">What is wrong with it.</param>
/// <param name="hint">What to do, or null.</param>
/// <param name="inner">The underlying exception, if any.</param>
public sealed class AtlasFormatException(string file, string problem, string? hint = null, Exception? inner = null)
    : UnravelException($"{file}: {problem}", hint, inner)
{
    /// <summary>The file (or atlas folder) concerned.</summary>
    public string File { get; } = file;
}
