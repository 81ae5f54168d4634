// Concept lists as plain text, one concept per line (Oikarinen & Weng 2024, §3; the authors' ImageNet label file uses
// CR line endings, so a reader must accept CR, LF and CRLF alike).

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Reads concept and class-name lists.</summary>
public static class ConceptList
{
    /// <summary>Splits on CR, LF or CRLF, trims surrounding whitespace and drops empty entries.</summary>
    public static string[] Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split(["\r\n", "\r", "\n"], StringSplitOptions.None)
            .Select(s => s.Trim())
            .Where(s => s.Length > 0)
            .ToArray();
    }

    /// <summary>Reads and parses a UTF-8 file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static string[] Read(string path) => Parse(File.ReadAllText(path));
}
