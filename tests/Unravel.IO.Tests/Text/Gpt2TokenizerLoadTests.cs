// Malformed encoder.json / vocab.bpe: every defect is a CheckpointFormatException naming the file and the line or key.
// The files are small hand-written vocabularies (the 256 byte symbols, a few merges, <|endoftext|>) in a temp folder.

using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Unravel.IO.Text;

namespace Unravel.IO.Tests.Text;

public sealed class Gpt2TokenizerLoadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-gpt2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // bytes_to_unicode written out independently of Gpt2ByteAlphabet
    private static string ByteSymbol(int b) =>
        b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE ? ((char)b).ToString()
            : ((char)(0x100 + (b <= 0x20 ? b : b <= 0xA0 ? b - 0x7F + 0x21 : 0x43))).ToString();

    private static List<string> TinyVocab()
    {
        var tokens = Enumerable.Range(0, 256).Select(ByteSymbol).ToList();
        tokens.AddRange(new[] { "Ġt", "he", "Ġthe", "<|endoftext|>" });
        return tokens;
    }

    private static readonly JsonSerializerOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const string TinyMerges = "#version: 0.2\nĠ t\nh e\nĠt he\n";

    private static string VocabJson(IEnumerable<string> tokens) =>
        "{" + string.Join(", ", tokens.Select((t, i) => $"{JsonSerializer.Serialize(t, s_json)}: {i}")) + "}";

    private (string Encoder, string Merges) Write(string encoderJson, string merges)
    {
        string e = Path.Combine(_dir, "encoder.json"), m = Path.Combine(_dir, "vocab.bpe");
        File.WriteAllText(e, encoderJson, new UTF8Encoding(false));
        File.WriteAllText(m, merges, new UTF8Encoding(false));
        return (e, m);
    }

    private CheckpointFormatException LoadFails(string encoderJson, string merges, bool inMerges, string where, string problem)
    {
        (string e, string m) = Write(encoderJson, merges);
        var ex = Assert.Throws<CheckpointFormatException>(() => Gpt2Tokenizer.Load(e, m));
        Assert.Equal(inMerges ? m : e, ex.File);
        Assert.Contains(where, ex.Where);
        Assert.Contains(problem, ex.Problem);
        Assert.StartsWith(ex.File, ex.Message);
        return ex;
    }

    [Fact]
    public void Load_TinyValidFiles_EncodesWithTheirMerges()
    {
        (string e, string m) = Write(VocabJson(TinyVocab()), TinyMerges);
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.Load(e, m);
        Assert.Equal(260, tokenizer.VocabSize);
        Assert.Equal(259, tokenizer.EndOfText);
        // " the" → Ġ t h e → Ġt h e → Ġt he → Ġthe; " te" → Ġt e (byte ids are the bytes here)
        Assert.Equal(new[] { 258, 256, 'e' }, tokenizer.Encode(" the te"));
    }

    [Fact]
    public void Load_CrlfMergesWithoutTrailingNewline_KeepsEveryMerge()
    {
        (string e, string m) = Write(VocabJson(TinyVocab()), "#version: 0.2\r\nĠ t\r\nh e\r\nĠt he");
        Assert.Equal(new[] { 258 }, Gpt2Tokenizer.Load(e, m).Encode(" the"));
    }

    [Fact]
    public void Load_InvalidJson_NamesTheLine() =>
        LoadFails("{\n\"a\": 0,\n\"b\": ,\n}", TinyMerges, false, "line 3", "invalid JSON");

    [Fact]
    public void Load_TruncatedJson_Fails() =>
        LoadFails(VocabJson(TinyVocab())[..500], TinyMerges, false, "line 1", "invalid JSON");

    [Fact]
    public void Load_LoneSurrogateKey_Fails() =>
        LoadFails("{\n\"\\ud800\": 0}", TinyMerges, false, "line 2", "unreadable key");

    [Fact]
    public void Load_JsonArrayRoot_Fails() =>
        LoadFails("[1, 2]", TinyMerges, false, "line 1", "expected a JSON object");

    [Fact]
    public void Load_NonIntegerId_NamesTheKey()
    {
        string json = VocabJson(TinyVocab()).Replace("\"Ġthe\": 258", "\"Ġthe\": 258.5");
        LoadFails(json, TinyMerges, false, "key \"Ġthe\"", "the number 258.5");
        LoadFails(VocabJson(TinyVocab()).Replace("\"he\": 257", "\"he\": \"257\""), TinyMerges, false, "key \"he\"", "a string");
    }

    [Fact]
    public void Load_DuplicateId_NamesBothTokens() =>
        LoadFails(VocabJson(TinyVocab()).Replace("\"he\": 257", "\"he\": 256"), TinyMerges, false, "key \"he\"", "also the id of \"Ġt\"");

    [Fact]
    public void Load_DuplicateKey_Fails() =>
        LoadFails(VocabJson(TinyVocab())[..^1] + ", \"he\": 260}", TinyMerges, false, "key \"he\"", "duplicate key");

    [Fact]
    public void Load_IdGap_Fails() =>
        LoadFails(VocabJson(TinyVocab()).Replace("\"<|endoftext|>\": 259", "\"<|endoftext|>\": 300"), TinyMerges, false,
            "key \"<|endoftext|>\"", "out of range");

    [Fact]
    public void Load_MissingByteSymbol_NamesTheByte()
    {
        List<string> tokens = TinyVocab();
        tokens[0x20] = "Ġx"; // drops 'Ġ' (byte 0x20)
        LoadFails(VocabJson(tokens), "#version: 0.2\n", false, "key \"Ġ\"", "byte 0x20");
    }

    [Fact]
    public void Load_TokenOutsideByteAlphabet_Fails()
    {
        List<string> tokens = TinyVocab();
        tokens[257] = "h e"; // U+0020 is not a symbol: spaces are spelt 'Ġ'
        LoadFails(VocabJson(tokens), "#version: 0.2\n", false, "key \"h e\"", "U+0020");
    }

    [Fact]
    public void Load_MissingEndOfText_Fails()
    {
        List<string> tokens = TinyVocab();
        tokens.RemoveAt(tokens.Count - 1);
        LoadFails(VocabJson(tokens), TinyMerges, false, "<|endoftext|>", "missing");
    }

    [Fact]
    public void Load_MergesWithoutHeader_FailsOnLine1() =>
        LoadFails(VocabJson(TinyVocab()), "Ġ t\nh e\n", true, "line 1", "#version");

    [Fact]
    public void Load_MergeLineWithThreeSymbols_NamesTheLine() =>
        LoadFails(VocabJson(TinyVocab()), "#version: 0.2\nĠ t\nh e x\n", true, "line 3", "found 3");

    [Fact]
    public void Load_EmptyMergeLine_NamesTheLine() =>
        LoadFails(VocabJson(TinyVocab()), "#version: 0.2\nĠ t\n\nh e\n", true, "line 3", "found 0");

    [Fact]
    public void Load_UnknownMergeSymbol_NamesTheLine() =>
        LoadFails(VocabJson(TinyVocab()), "#version: 0.2\nĠ t\nhe Ġt\n", true, "line 3", "symbol \"heĠt\" is not in encoder.json");

    [Fact]
    public void Load_DuplicateMerge_NamesBothLines() =>
        LoadFails(VocabJson(TinyVocab()), "#version: 0.2\nĠ t\nh e\nĠ t\n", true, "line 4", "first at line 2");

    [Fact]
    public void Load_MergesNotUtf8_Fails()
    {
        (string e, string m) = Write(VocabJson(TinyVocab()), "");
        File.WriteAllBytes(m, new byte[] { (byte)'#', 0xFF, 0xFE, (byte)'\n' });
        var ex = Assert.Throws<CheckpointFormatException>(() => Gpt2Tokenizer.Load(e, m));
        Assert.Equal(m, ex.File);
        Assert.Contains("UTF-8", ex.Problem);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        (string e, _) = Write(VocabJson(TinyVocab()), TinyMerges);
        Assert.Throws<FileNotFoundException>(() => Gpt2Tokenizer.Load(e, Path.Combine(_dir, "nope.bpe")));
    }
}
