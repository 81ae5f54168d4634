// The one exception type for malformed input files: names the file, the key or byte offset, what was expected,
// and a hint the user can act on.

namespace Unravel.IO;

/// <summary>A file could not be read as the format it claims to be.</summary>
/// <remarks>The hint is part of the message ("… HINT: …"), so the base <see cref="UnravelException.Hint"/> stays null
/// and the CLI prints it once.</remarks>
public sealed class CheckpointFormatException : UnravelException
{
    public CheckpointFormatException(string file, string where, string problem, string? hint = null, Exception? inner = null)
        : base(Compose(file, where, problem, hint), null, inner)
    {
        File = file;
        Where = where;
        Problem = problem;
        Hint = hint;
    }

    /// <summary>The file's path as given.</summary>
    public string File { get; }

    /// <summary>A key name or "offset N".</summary>
    public string Where { get; }

    public string Problem { get; }

    /// <summary>What to do about it (also at the end of the message).</summary>
    public new string? Hint { get; }

    private static string Compose(string file, string where, string problem, string? hint) =>
        $"{file}: {where}: {problem}" + (hint is null ? "" : $" HINT: {hint}");
}
