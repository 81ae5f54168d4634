// Strict readers for GPT-2's two tokenizer files: encoder.json (token string → id; Hugging Face calls it vocab.json)
// and vocab.bpe (the ranked merge list; Hugging Face: merges.txt). Every defect is reported as a
// CheckpointFormatException naming the file and the line/key.
// Reference: https://github.com/openai/gpt-2/blob/master/src/encoder.py (get_encoder)

using System.Text;
using System.Text.Json;

namespace Unravel.IO.Text;

/// <summary>Parses and validates encoder.json and vocab.bpe.</summary>
internal static class Gpt2VocabularyFiles
{
    /// <summary>Reads encoder.json into an id-indexed array of token strings.</summary>
    /// <remarks>Ids must be dense (0..N-1, each once); every token must be spelt in the byte alphabet.</remarks>
    public static string[] ReadEncoder(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var byId = new Dictionary<int, string>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new CheckpointFormatException(path, Where(bytes, reader.TokenStartIndex), "expected a JSON object of token string → id",
                    "encoder.json (vocab.json) maps every token string to its integer id");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string key = reader.GetString()!;
                long keyStart = reader.TokenStartIndex;
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int id) || id < 0)
                    throw new CheckpointFormatException(path, Where(bytes, keyStart, key),
                        $"expected a non-negative integer id, found {Describe(ref reader)}");
                if (seen.TryGetValue(key, out int previous))
                    throw new CheckpointFormatException(path, Where(bytes, keyStart, key), $"duplicate key (first with id {previous})");
                if (byId.TryGetValue(id, out string? other))
                    throw new CheckpointFormatException(path, Where(bytes, keyStart, key), $"id {id} is also the id of {Quote(other)}");
                if (key.Length == 0)
                    throw new CheckpointFormatException(path, Where(bytes, keyStart, key), "empty token string");
                int bad = FirstNonAlphabetChar(key);
                if (bad >= 0)
                    throw new CheckpointFormatException(path, Where(bytes, keyStart, key),
                        $"character U+{(int)key[bad]:X4} at index {bad} is not in GPT-2's byte alphabet",
                        "GPT-2 token strings spell bytes with the bytes_to_unicode characters U+0021-U+0143");
                seen.Add(key, id);
                byId.Add(id, key);
            }
            if (reader.Read())
                throw new CheckpointFormatException(path, Where(bytes, reader.TokenStartIndex), "unexpected content after the JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, $"line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}",
                $"invalid JSON: {e.Message}", "the file may be truncated or not a JSON vocabulary", e);
        }
        catch (InvalidOperationException e)
        {
            // GetString on a key holding a lone-surrogate escape such as "\ud800"
            throw new CheckpointFormatException(path, Where(bytes, reader.TokenStartIndex), $"unreadable key: {e.Message}", inner: e);
        }

        var tokens = new string[byId.Count];
        foreach ((int id, string token) in byId)
        {
            if (id >= tokens.Length)
                throw new CheckpointFormatException(path, $"key {Quote(token)}",
                    $"id {id} is out of range: the {tokens.Length} ids must be exactly 0..{tokens.Length - 1}",
                    "ids must be dense; a gap means the file lost entries");
            tokens[id] = token;
        }
        return tokens;
    }

    /// <summary>Reads vocab.bpe into pair → rank (the 0-based merge line) and the merged token's id per rank.</summary>
    /// <remarks>The first line must be the "#version" header. A final empty line (the trailing newline) is allowed;
    /// a last merge without a trailing newline is kept (the Python and JS references drop it silently). Symbols are
    /// separated by whitespace, so CRLF files read like LF files, as in the references.</remarks>
    public static (Dictionary<long, int> Ranks, int[] MergedId) ReadMerges(string path, Dictionary<string, int> vocab)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException e)
        {
            throw new CheckpointFormatException(path, "contents", "not valid UTF-8", "vocab.bpe is a UTF-8 text file", e);
        }
        string[] lines = text.Split('\n');
        if (!lines[0].StartsWith("#version", StringComparison.Ordinal))
            throw new CheckpointFormatException(path, "line 1", $"expected the header \"#version: 0.2\", found {Quote(Shorten(lines[0]))}",
                "vocab.bpe (merges.txt) starts with a #version line, then one merge \"A B\" per line");
        int count = lines.Length - 1;
        if (lines[^1].Length == 0)
            count--;
        var ranks = new Dictionary<long, int>(count, PairComparer.Instance);
        var mergedId = new int[count];
        var firstLine = new Dictionary<long, int>(count);
        for (int rank = 0; rank < count; rank++)
        {
            int lineNo = rank + 2;
            string[] parts = lines[rank + 1].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new CheckpointFormatException(path, $"line {lineNo}",
                    $"expected two symbols separated by a space, found {parts.Length} in {Quote(Shorten(lines[rank + 1]))}");
            int left = Lookup(path, lineNo, vocab, parts[0]);
            int right = Lookup(path, lineNo, vocab, parts[1]);
            int merged = Lookup(path, lineNo, vocab, parts[0] + parts[1]);
            long key = PairKey(left, right);
            if (!firstLine.TryAdd(key, lineNo))
                throw new CheckpointFormatException(path, $"line {lineNo}",
                    $"duplicate merge {Quote(parts[0])} {Quote(parts[1])} (first at line {firstLine[key]})");
            ranks.Add(key, rank);
            mergedId[rank] = merged;
        }
        return (ranks, mergedId);
    }

    public static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    // long.GetHashCode folds the halves with XOR, so pairs of small ids (< 65536) crowd into few buckets; a
    // multiplicative (Fibonacci) hash spreads them.
    private sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();

        public bool Equals(long x, long y) => x == y;

        public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
    }

    private static int Lookup(string path, int lineNo, Dictionary<string, int> vocab, string symbol) =>
        vocab.TryGetValue(symbol, out int id) ? id
            : throw new CheckpointFormatException(path, $"line {lineNo}", $"symbol {Quote(symbol)} is not in encoder.json",
                "vocab.bpe and encoder.json must come from the same tokenizer");

    private static int FirstNonAlphabetChar(string token)
    {
        for (int i = 0; i < token.Length; i++)
        {
            if (Gpt2ByteAlphabet.ToByte(token[i]) < 0)
                return i;
        }
        return -1;
    }

    private static string Where(byte[] bytes, long offset, string? key = null)
    {
        int line = 1;
        for (long i = 0; i < offset && i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
                line++;
        }
        return key is null ? $"line {line}" : $"line {line}, key {Quote(key)}";
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => $"the number {Encoding.UTF8.GetString(reader.ValueSpan)}",
        JsonTokenType.String => "a string",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => reader.TokenType.ToString().ToLowerInvariant(),
    };

    private static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            if (c < 0x20 || c == '"' || c == '\\' || char.IsSurrogate(c))
                sb.Append($"\\u{(int)c:x4}");
            else
                sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
