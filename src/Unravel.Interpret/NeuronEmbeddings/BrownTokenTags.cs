// Gold part-of-speech tags for GPT-2 tokens of the Brown corpus (Francis & Kučera 1964/1979), to check how far a
// neuron's feature clusters (A. Foote 2024, arXiv 2411.08166) follow the grammatical category of the key token.
// The text is built exactly as TokenWindowDataset.FromBrown builds it (files' detokenized text joined by a blank
// line), each word is located in it in order, and a token takes the tag of the word under its first non-space
// character (none for whitespace-only tokens). Tags are coarsened to the part before the first '-' ("np-tl" → "np",
// "nn-hl" → "nn"), keeping Brown's "$" (possessive) and "+" (contraction) forms.

using System.Text;
using Unravel.IO.Text;

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Brown corpus tokens with the gold tag of each.</summary>
public static class BrownTokenTags
{
    /// <summary>Encodes the files as <c>TokenWindowDataset.FromBrown</c> does and tags every token.</summary>
    /// <param name="files">Brown files in the order the dataset reads them.</param>
    /// <param name="tokenizer">The GPT-2 tokenizer.</param>
    /// <returns>The token ids (before windowing), a tag id per token (−1: no word), and the tag names by id.</returns>
    /// <exception cref="Unravel.IO.CheckpointFormatException">A file is not the tagged Brown corpus.</exception>
    public static (int[] Tokens, int[] Tags, IReadOnlyList<string> TagNames) Encode(IReadOnlyList<string> files, Gpt2Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(tokenizer);
        string text = string.Join("\n\n", files.Select(BrownCorpus.ReadText));
        var charTag = new int[text.Length];
        Array.Fill(charTag, -1);
        var names = new List<string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int cursor = 0;
        foreach (string file in files)
            foreach (IReadOnlyList<BrownToken> sentence in BrownCorpus.ReadSentences(file))
                foreach (BrownToken word in sentence)
                {
                    string shown = word.Word is "``" or "''" ? "\"" : word.Word;
                    int at = text.IndexOf(shown, cursor, StringComparison.Ordinal);
                    // Words follow each other with at most a separator between them; anything further is a mismatch.
                    if (at < 0 || at - cursor > 2) continue;
                    string tag = Coarse(word.Tag);
                    if (!ids.TryGetValue(tag, out int id)) { id = names.Count; ids[tag] = id; names.Add(tag); }
                    Array.Fill(charTag, id, at, shown.Length);
                    cursor = at + shown.Length;
                }
        int[] tokens = tokenizer.Encode(text);
        // Byte offset → char index of the UTF-8 text.
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        var charOfByte = new int[utf8.Length + 1];
        for (int c = 0, b = 0; c < text.Length; c++)
        {
            int len = char.IsHighSurrogate(text[c]) && c + 1 < text.Length ? Encoding.UTF8.GetByteCount(text.AsSpan(c, 2)) : Encoding.UTF8.GetByteCount(text.AsSpan(c, 1));
            for (int k = 0; k < len; k++) charOfByte[b + k] = c;
            b += len;
            if (len == 4) c++;
        }
        charOfByte[utf8.Length] = text.Length;
        var tags = new int[tokens.Length];
        for (int i = 0, offset = 0; i < tokens.Length; i++)
        {
            int len = tokenizer.TokenBytes(tokens[i]).Length;
            int start = charOfByte[offset], end = charOfByte[Math.Min(utf8.Length, offset + len)];
            tags[i] = -1;
            for (int c = start; c < Math.Max(end, start + 1) && c < text.Length; c++)
                if (!char.IsWhiteSpace(text[c])) { tags[i] = charTag[c]; break; }
            offset += len;
        }
        return (tokens, tags, names);
    }

    /// <summary>The tag before its first '-' suffix ("np-tl" → "np"); a tag starting with '-' is kept whole.</summary>
    public static string Coarse(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        int dash = tag.IndexOf('-', 1);
        return dash > 0 ? tag[..dash] : tag;
    }
}
