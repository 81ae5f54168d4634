// POSIX shell quoting for the job scripts Unravel writes: a word that needs no quoting is written as is, any other is
// single-quoted (a ' inside becomes '\''), so the scheduler runs exactly the argument list that was checked.

using System.Text.RegularExpressions;

namespace Unravel.Atlas.Scale;

/// <summary>Quotes words for bash.</summary>
public static partial class ShellWords
{
    /// <summary>The word as bash reads it back unchanged.</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return Plain().IsMatch(word) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>The words quoted and joined by spaces.</summary>
    public static string Join(IEnumerable<string> words) => string.Join(" ", words.Select(Quote));

    [GeneratedRegex("^[A-Za-z0-9_@%+=:,./-]+$")]
    private static partial Regex Plain();
}
