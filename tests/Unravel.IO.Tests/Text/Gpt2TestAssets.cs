// Shared test inputs for the GPT-2 tokenizer: the shipped assets/gpt2-tokenizer files (found by walking up from the
// test output directory to the repository root), one loaded tokenizer per whitespace flavour, and the reference
// vectors written by tools/fixtures/tokenizer_vectors.js.

using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Unravel.IO.Text;

namespace Unravel.IO.Tests.Text;

/// <summary>One line of gpt2_vectors.jsonl.gz: an encode vector (Ids set) or a decode vector (DecodeIds set).</summary>
public sealed record Gpt2Vector(int Line, string Source, string Text, int[]? Ids, int[]? PythonIds, int[]? DecodeIds,
    string? Decoded, bool HasLoneSurrogates)
{
    /// <summary>Expected ids of the Python original (encoder.py); equal to <see cref="Ids"/> unless "py" was stored.</summary>
    public int[]? PythonExpected => PythonIds ?? Ids;
}

public static class Gpt2TestAssets
{
    private static readonly Lazy<string> s_folder = new(FindAssets);
    private static readonly Lazy<Gpt2Tokenizer> s_python = new(() => Load(new Gpt2TokenizerOptions()));
    private static readonly Lazy<Gpt2Tokenizer> s_javaScript =
        new(() => Load(new Gpt2TokenizerOptions { Whitespace = Gpt2Whitespace.JavaScript }));
    private static readonly Lazy<Gpt2Tokenizer> s_uncached = new(() => Load(new Gpt2TokenizerOptions { CacheCapacity = 0 }));
    private static readonly Lazy<List<Gpt2Vector>> s_vectors = new(ReadVectors);

    public static string EncoderJson => Path.Combine(s_folder.Value, "encoder.json");
    public static string VocabBpe => Path.Combine(s_folder.Value, "vocab.bpe");

    /// <summary>The default tokenizer (Python whitespace), shared by tests.</summary>
    public static Gpt2Tokenizer Python => s_python.Value;

    /// <summary>The gpt-3-encoder-compatible tokenizer (JavaScript whitespace), shared by tests.</summary>
    public static Gpt2Tokenizer JavaScript => s_javaScript.Value;

    /// <summary>The default tokenizer without a pre-token cache: every piece goes through BPE.</summary>
    public static Gpt2Tokenizer Uncached => s_uncached.Value;

    public static IReadOnlyList<Gpt2Vector> Vectors => s_vectors.Value;

    public static Gpt2Tokenizer Load(Gpt2TokenizerOptions options) => Gpt2Tokenizer.Load(EncoderJson, VocabBpe, options);

    /// <summary>A string with control characters and non-ASCII shown as \uXXXX, for failure messages.</summary>
    public static string Escape(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
            sb.Append(c is >= ' ' and < '\u007f' and not '"' and not '\\' ? c.ToString() : $"\\u{(int)c:x4}");
        return sb.Append('"').ToString();
    }

    private static string FindAssets()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "assets", "gpt2-tokenizer");
            if (File.Exists(Path.Combine(candidate, "encoder.json")))
                return candidate;
        }
        throw new FileNotFoundException($"assets/gpt2-tokenizer not found above {AppContext.BaseDirectory}");
    }

    private static List<Gpt2Vector> ReadVectors()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "text", "gpt2_vectors.jsonl.gz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress), Encoding.UTF8);
        var vectors = new List<Gpt2Vector>();
        int line = 0;
        while (reader.ReadLine() is { } json)
        {
            line++;
            using var doc = JsonDocument.Parse(json);
            JsonElement e = doc.RootElement;
            string source = e.GetProperty("src").GetString()!;
            bool surrogates = e.TryGetProperty("utf16", out JsonElement units);
            string text = surrogates
                ? new string(units.EnumerateArray().Select(u => (char)u.GetInt32()).ToArray())
                : e.GetProperty("text").GetString()!;
            vectors.Add(new Gpt2Vector(line, source, text,
                Ints(e, "ids"), Ints(e, "py"), Ints(e, "decode"),
                e.TryGetProperty("decoded", out JsonElement d) ? d.GetString() : null, surrogates));
        }
        return vectors;
    }

    private static int[]? Ints(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement a) ? a.EnumerateArray().Select(x => x.GetInt32()).ToArray() : null;
}
