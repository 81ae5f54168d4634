// Aligns GPT-2 tokens of Brown token windows (TokenWindowDataset.FromBrown) with the tagged corpus words they come from
// (Francis & Kučera 1979, tagged form C), so each token gets its word's gold POS tag and its file's genre. The text is
// rebuilt exactly as the dataset builds it, re-encoded and checked against the windows; each word is then located in
// the text in order, and a token takes the word its first non-space byte falls in.

using System.Text;
using Unravel.Interpret.Collection;
using Unravel.IO.Text;

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Token-level annotations for Brown corpus windows.</summary>
public static class BrownTokenAnnotator
{
    /// <summary>The 15 Brown genres by the category letter of the file name (ca01 → a).</summary>
    public static IReadOnlyDictionary<char, string> Genres { get; } = new Dictionary<char, string>
    {
        ['a'] = "press: reportage", ['b'] = "press: editorial", ['c'] = "press: reviews", ['d'] = "religion",
        ['e'] = "skill and hobbies", ['f'] = "popular lore", ['g'] = "belles-lettres", ['h'] = "government",
        ['j'] = "learned", ['k'] = "fiction: general", ['l'] = "fiction: mystery", ['m'] = "fiction: science",
        ['n'] = "fiction: adventure", ['p'] = "fiction: romance", ['r'] = "humor",
    };

    /// <summary>One annotation per row (window · length + position) of <paramref name="windows"/>.</summary>
    /// <param name="path">The Brown file or folder the windows were made from.</param>
    /// <param name="tokenizer">The tokenizer that made them.</param>
    /// <param name="windows">The windows (with or without a BOS token first).</param>
    /// <exception cref="ArgumentException">The windows were not made from this corpus with this tokenizer.</exception>
    public static TokenAnnotation[] Annotate(string path, Gpt2Tokenizer tokenizer, TokenWindowDataset windows)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(windows);
        IReadOnlyList<string> files = Directory.Exists(path) ? BrownCorpus.ListFiles(path) : [path];
        var text = new StringBuilder();
        var spans = new List<(int Start, int End, BrownToken Token, string? Genre)>();
        for (int f = 0; f < files.Count; f++)
        {
            if (f > 0) text.Append("\n\n");
            string body = BrownCorpus.ReadText(files[f]);
            int offset = text.Length, at = 0;
            string name = Path.GetFileName(files[f]);
            string? genre = name.Length > 1 && Genres.TryGetValue(name[1], out string? g) ? g : null;
            foreach (IReadOnlyList<BrownToken> sentence in BrownCorpus.ReadSentences(files[f]))
                foreach (BrownToken t in sentence)
                {
                    string w = t.Word is "``" or "''" ? "\"" : t.Word;
                    int found = body.IndexOf(w, at, StringComparison.Ordinal);
                    if (found < 0) continue;
                    spans.Add((offset + found, offset + found + w.Length, t, genre));
                    at = found + w.Length;
                }
            text.Append(body);
        }
        string full = text.ToString();
        int[] encoded = tokenizer.Encode(full);
        bool bos = windows.Length > 1 && windows.Tokens[0] == tokenizer.EndOfText && (encoded.Length == 0 || encoded[0] != tokenizer.EndOfText);
        int bodyLength = bos ? windows.Length - 1 : windows.Length;
        if ((long)windows.Count * bodyLength > encoded.Length)
            throw new ArgumentException($"annotate: the windows hold more tokens than {path} encodes to; they were made from other text.", nameof(windows));

        // Character offset of every token's first byte (UTF-8 byte offsets mapped back to chars).
        byte[] utf8 = Encoding.UTF8.GetBytes(full);
        var charOfByte = new int[utf8.Length + 1];
        for (int c = 0, b = 0; c < full.Length;)
        {
            int len = char.IsSurrogatePair(full, c) ? 2 : 1;
            int nb = Encoding.UTF8.GetByteCount(full.AsSpan(c, len));
            for (int k = 0; k < nb; k++) charOfByte[b + k] = c;
            b += nb;
            c += len;
        }
        charOfByte[utf8.Length] = full.Length;
        var result = new TokenAnnotation[windows.Count * windows.Length];
        int byteAt = 0, spanAt = 0;
        int position = 0;
        for (int w = 0; w < windows.Count; w++)
            for (int t = 0; t < windows.Length; t++)
            {
                int row = w * windows.Length + t;
                int id = windows.Tokens[row];
                if (bos && t == 0)
                {
                    result[row] = new TokenAnnotation(id, null, null, null);
                    continue;
                }
                if (encoded[position] != id)
                    throw new ArgumentException($"annotate: window {w} position {t} holds token {id}, but {path} encodes to {encoded[position]} there; the windows were made from other text or another tokenizer.", nameof(windows));
                ReadOnlySpan<byte> bytes = tokenizer.TokenBytes(id);
                int lead = 0;
                while (lead < bytes.Length && bytes[lead] is (byte)' ' or (byte)'\n' or (byte)'\t') lead++;
                int ch = charOfByte[Math.Min(byteAt + lead, utf8.Length)];
                while (spanAt < spans.Count && spans[spanAt].End <= ch) spanAt++;
                (int Start, int End, BrownToken Token, string? Genre) s = spanAt < spans.Count ? spans[spanAt] : default;
                bool inside = lead < bytes.Length && spanAt < spans.Count && s.Start <= ch && ch < s.End;
                string? genre = GenreAt(spans, spanAt);
                result[row] = inside ? new TokenAnnotation(id, s.Token.Word, s.Token.Tag, s.Genre) : new TokenAnnotation(id, null, null, genre);
                byteAt += bytes.Length;
                position++;
            }
        return result;
    }

    private static string? GenreAt(List<(int Start, int End, BrownToken Token, string? Genre)> spans, int at) =>
        spans.Count == 0 ? null : spans[Math.Min(at, spans.Count - 1)].Genre;
}
