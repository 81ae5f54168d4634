// Token-level concepts for language-model neurons (our extension of Oikarinen & Weng 2024, ICML, to language models;
// the unit is a token position as in Bills et al. 2023). Columns, each a 0/1 indicator per token:
//   tag:NNS         the gold Brown POS tag of the word the token starts in (suffixes such as -TL/-HL dropped);
//   pos:noun        the tag's family (noun, proper noun, verb, …);
//   sense:noun.act  the WordNet supersense of the word (shipped table);
//   token:" the"    the token identity, for the most frequent tokens;
//   genre:humor     the document's Brown genre.

using Unravel.IO.Text;

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Builds the token concept matrix.</summary>
public static class TokenConcepts
{
    /// <summary>One row per annotation; <paramref name="topTokens"/> most frequent token ids get an identity column.</summary>
    /// <exception cref="ArgumentException">topTokens &lt; 0.</exception>
    public static ConceptMatrix Build(IReadOnlyList<TokenAnnotation> tokens, Gpt2Tokenizer tokenizer, SupersenseTable? supersenses, int topTokens, string source)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (topTokens < 0) throw new ArgumentException($"token concepts: topTokens = {topTokens}.", nameof(topTokens));
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        var cells = new List<(int Row, int Column)>();
        void Add(int row, string name)
        {
            if (!columns.TryGetValue(name, out int c))
            {
                c = names.Count;
                columns[name] = c;
                names.Add(name);
            }
            cells.Add((row, c));
        }
        var frequent = tokens.GroupBy(t => t.TokenId).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Take(topTokens)
            .Select(g => g.Key).ToHashSet();
        var tokenNames = new Dictionary<int, string>();
        foreach (int id in frequent.Order())
        {
            string n = $"token:\"{tokenizer.TokenText(id)}\"";
            tokenNames[id] = tokenNames.ContainsValue(n) ? $"{n}#{id}" : n;
        }
        for (int i = 0; i < tokens.Count; i++)
        {
            TokenAnnotation t = tokens[i];
            if (t.Tag is not null)
            {
                string tag = BaseTag(t.Tag);
                Add(i, $"tag:{tag.ToUpperInvariant()}");
                Add(i, $"pos:{Family(tag, t.Word)}");
                char? wn = WordNetPos(tag);
                if (wn is char p && t.Word is not null && supersenses?.Find(t.Word, p) is string sense) Add(i, $"sense:{sense}");
            }
            if (tokenNames.TryGetValue(t.TokenId, out string? tn)) Add(i, tn);
            if (t.Genre is not null) Add(i, $"genre:{t.Genre}");
        }
        var v = new float[(long)tokens.Count * names.Count];
        foreach ((int row, int c) in cells) v[(long)row * names.Count + c] = 1;
        return new ConceptMatrix(names, v, tokens.Count, new ConceptProvenance("tokens", source,
            $"gold Brown tags, tag families, WordNet 3.0 supersenses{(supersenses is null ? " (none)" : "")}, top-{topTokens} token identities, Brown genres"));
    }

    /// <summary>The tag without title/headline/foreign suffixes ("nn-tl" → "nn", "fw-nn" → "nn"), lower case.</summary>
    public static string BaseTag(string tag)
    {
        string t = tag.ToLowerInvariant();
        if (t.StartsWith("fw-", StringComparison.Ordinal)) t = t[3..];
        int dash = t.IndexOf('-', 1);
        return dash > 0 ? t[..dash] : t;
    }

    private static char? WordNetPos(string tag) => tag switch
    {
        "nn" or "nns" => 'n',
        _ when tag.StartsWith("vb", StringComparison.Ordinal) => 'v',
        _ when tag.StartsWith("jj", StringComparison.Ordinal) => 'a',
        "rb" or "rbr" or "rbt" => 'r',
        _ => null,
    };

    private static string Family(string tag, string? word)
    {
        string t = tag.TrimEnd('$', '*');
        if (t.Length == 0 || !char.IsLetter(t[0])) return "punctuation";
        if (t.StartsWith("np", StringComparison.Ordinal)) return "proper noun";
        if (t.StartsWith("nn", StringComparison.Ordinal) || t.StartsWith("nr", StringComparison.Ordinal)) return "noun";
        if (t == "md") return "modal";
        if (t.StartsWith("vb", StringComparison.Ordinal) || t.StartsWith("be", StringComparison.Ordinal) ||
            t.StartsWith("hv", StringComparison.Ordinal) || t.StartsWith("do", StringComparison.Ordinal)) return "verb";
        if (t.StartsWith("jj", StringComparison.Ordinal)) return "adjective";
        if (t.StartsWith("rb", StringComparison.Ordinal) || t == "ql" || t == "qlp" || t == "wrb") return "adverb";
        if (t.StartsWith("pp", StringComparison.Ordinal) || t.StartsWith("wp", StringComparison.Ordinal) || t == "ex") return "pronoun";
        if (t is "at" or "ap" or "abn" or "abx" or "wdt" || t.StartsWith("dt", StringComparison.Ordinal)) return "determiner";
        if (t is "in" or "to") return "preposition";
        if (t is "cc" or "cs") return "conjunction";
        if (t is "cd" or "od") return "number";
        return word is not null && word.Length > 0 && !char.IsLetterOrDigit(word[0]) ? "punctuation" : "other";
    }
}
