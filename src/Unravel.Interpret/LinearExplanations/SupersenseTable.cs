// WordNet supersenses (lexicographer files such as noun.artifact, verb.motion; Miller 1995, Ciaramita & Johnson 2003)
// of corpus words, generated offline from WordNet 3.0 by tools/concepts/wordnet_concepts.py (most frequent sense after
// morphological reduction) and shipped as word<TAB>pos<TAB>supersense, so no WordNet is needed at run time.

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Lookup of a word's supersense by WordNet part of speech (n, v, a, r).</summary>
public sealed class SupersenseTable
{
    private readonly Dictionary<(string Word, char Pos), string> _senses;

    private SupersenseTable(Dictionary<(string, char), string> senses) => _senses = senses;

    /// <summary>Entries.</summary>
    public int Count => _senses.Count;

    /// <summary>Reads a table; lines starting with '#' and empty lines (CR, LF or CRLF) are skipped.</summary>
    /// <exception cref="ArgumentException">A line is not word, pos, supersense (names the file and line).</exception>
    public static SupersenseTable Read(string path)
    {
        var senses = new Dictionary<(string, char), string>();
        string[] lines = File.ReadAllText(path).Split(["\r\n", "\r", "\n"], StringSplitOptions.None);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || line[0] == '#') continue;
            string[] parts = line.Split('\t');
            if (parts.Length != 3 || parts[1].Length != 1 || parts[2].Length == 0)
                throw new ArgumentException($"supersenses: {path} line {i + 1} is not word<TAB>pos<TAB>supersense. HINT: regenerate it with tools/concepts/wordnet_concepts.py.", nameof(path));
            senses[(parts[0], parts[1][0])] = parts[2];
        }
        return new SupersenseTable(senses);
    }

    /// <summary>The supersense of a lower-cased word in a part of speech, or null.</summary>
    public string? Find(string word, char pos) => _senses.GetValueOrDefault((word.ToLowerInvariant(), pos));
}
