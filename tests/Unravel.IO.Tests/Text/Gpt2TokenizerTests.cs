// Behaviour of Gpt2Tokenizer on published vectors (tiktoken tests, the Hugging Face GPT2Tokenizer docstring, the
// method spec's table checked against gpt-3-encoder), special-token handling, accessors, cache and thread safety.

using System.Text;
using Unravel.IO.Text;

namespace Unravel.IO.Tests.Text;

public sealed class Gpt2TokenizerTests
{
    private static Gpt2Tokenizer Tokenizer => Gpt2TestAssets.Python;

    [Theory]
    // tiktoken tests
    [InlineData("hello world", new[] { 31373, 995 })]
    [InlineData("0", new[] { 15 })]
    [InlineData("00000000", new[] { 8269 })]
    [InlineData("000000000", new[] { 10535, 830 })]
    [InlineData("0000000000000000", new[] { 25645 })]
    // Hugging Face GPT2Tokenizer docstring
    [InlineData("Hello world", new[] { 15496, 995 })]
    [InlineData(" Hello world", new[] { 18435, 995 })]
    // spec §5.5 (verified against gpt-3-encoder)
    [InlineData("Hello, world!", new[] { 15496, 11, 995, 0 })]
    [InlineData("I'm testing: 3.14, don't split weirdly!", new[] { 40, 1101, 4856, 25, 513, 13, 1415, 11, 836, 470, 6626, 7650, 306, 0 })]
    [InlineData("The quick brown fox jumps over the lazy dog.", new[] { 464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13 })]
    [InlineData("It's 2024.", new[] { 1026, 338, 48609, 13 })]
    [InlineData("DON'T", new[] { 41173, 6, 51 })]
    [InlineData("a   b\n\nc", new[] { 64, 220, 220, 275, 198, 198, 66 })]
    [InlineData(" trailing  ", new[] { 25462, 220, 220 })]
    [InlineData("naïve café", new[] { 2616, 38776, 40304 })]
    [InlineData("héllo wörld", new[] { 71, 2634, 18798, 266, 30570, 335 })]
    [InlineData("😊", new[] { 47249, 232 })]
    [InlineData("Hello 😊 world", new[] { 15496, 30325, 232, 995 })]
    [InlineData("你好", new[] { 19526, 254, 25001, 121 })]
    [InlineData("请考试我的软件！12345", new[] { 46237, 115, 32003, 225, 46237, 243, 22755, 239, 21410, 164, 121, 107, 20015, 114, 171, 120, 223, 10163, 2231 })]
    [InlineData("\n", new[] { 198 })]
    [InlineData("\t", new[] { 197 })]
    [InlineData("", new int[0])]
    public void Encode_PublishedVectors_MatchesReference(string text, int[] expected)
    {
        Assert.Equal(expected, Tokenizer.Encode(text));
        Assert.Equal(expected, Gpt2TestAssets.JavaScript.Encode(text));
        Assert.Equal(text, Tokenizer.Decode(expected));
    }

    [Fact]
    public void Encode_EndOfTextByDefault_IsPlainText()
    {
        // encoder.py and gpt-3-encoder: "<|endoftext|>" → "<|", "endoftext", "|>" pieces
        Assert.Equal(new[] { 27, 91, 437, 1659, 5239, 91, 29 }, Tokenizer.Encode("<|endoftext|>"));
        Assert.Equal(new[] { 31373, 1279, 91, 437, 1659, 5239, 91, 29 }, Tokenizer.Encode("hello <|endoftext|>"));
    }

    [Fact]
    public void Encode_AllowSpecial_MapsEndOfTextTo50256()
    {
        Assert.Equal(50256, Tokenizer.EndOfText);
        // tiktoken: encode("hello <|endoftext|>", allowed_special="all")
        Assert.Equal(new[] { 31373, 220, 50256 }, Tokenizer.Encode("hello <|endoftext|>", allowSpecial: true));
        Assert.Equal(new[] { 50256 }, Tokenizer.Encode("<|endoftext|>", allowSpecial: true));
        Assert.Equal(new[] { 50256, 50256 }, Tokenizer.Encode("<|endoftext|><|endoftext|>", allowSpecial: true));
        Assert.Equal(new[] { 64, 50256, 65 }, Tokenizer.Encode("a<|endoftext|>b", allowSpecial: true));
        // the text after the token starts a new pre-token sequence: " world" keeps its space
        Assert.Equal(new[] { 15496, 50256, 995 }, Tokenizer.Encode("Hello<|endoftext|> world", allowSpecial: true));
        // near-misses stay text
        Assert.Equal(Tokenizer.Encode("<|endoftext|"), Tokenizer.Encode("<|endoftext|", allowSpecial: true));
        Assert.Equal(Tokenizer.Encode("<|ENDOFTEXT|>"), Tokenizer.Encode("<|ENDOFTEXT|>", allowSpecial: true));
        Assert.Equal("a<|endoftext|>b", Tokenizer.Decode(new[] { 64, 50256, 65 }));
    }

    [Fact]
    public void Encode_WithoutSpecialTokens_EqualsWithAllowSpecial()
    {
        const string text = "The quick brown fox.\n\nIt's 2024!";
        Assert.Equal(Tokenizer.Encode(text), Tokenizer.Encode(text, allowSpecial: true));
    }

    [Theory]
    // ids from the fixture: gpt-3-encoder ("ids") and encoder.py ("py")
    [InlineData("a \u0085b", new[] { 64, 220, 126, 227, 65 }, new[] { 64, 1587, 227, 65 })]
    [InlineData("a \ufeffb", new[] { 64, 27332, 119, 123, 65 }, new[] { 64, 220, 171, 119, 123, 65 })]
    public void Encode_WhitespaceFlavours_DifferOnNelAndBom(string text, int[] python, int[] javaScript)
    {
        // U+0085 is \s in Python's `regex`, not in JavaScript; U+FEFF the other way round.
        Assert.Equal(python, Tokenizer.Encode(text));
        Assert.Equal(javaScript, Gpt2TestAssets.JavaScript.Encode(text));
        Assert.Equal(Gpt2Whitespace.Python, Tokenizer.Whitespace);
        Assert.Equal(text, Tokenizer.Decode(python));
        Assert.Equal(text, Tokenizer.Decode(javaScript));
    }

    [Fact]
    public void Encode_LoneSurrogate_EncodesAsReplacementCharacter()
    {
        // JavaScript's TextEncoder writes EF BF BD for a lone surrogate; the scanner treats it as punctuation (Cs)
        Assert.Equal(Tokenizer.Encode("a\ufffdb"), Tokenizer.Encode("a\ud800b"));
        Assert.Equal("x\ufffd", Tokenizer.Decode(Tokenizer.Encode("x\udc00")));
    }

    [Fact]
    public void TokenAccessors_World_GiveVocabStringTextAndBytes()
    {
        Assert.Equal(50257, Tokenizer.VocabSize);
        Assert.Equal("Ġworld", Tokenizer.TokenString(995));
        Assert.Equal(" world", Tokenizer.TokenText(995));
        Assert.Equal(" world"u8.ToArray(), Tokenizer.TokenBytes(995).ToArray());
        Assert.Equal("Ċ", Tokenizer.TokenString(198));
        Assert.Equal("<|endoftext|>", Tokenizer.TokenString(50256));
        Assert.Equal("<|endoftext|>", Tokenizer.TokenText(50256));
        // 47249 is the first 3 bytes of 😊 (F0 9F 98): alone it is an incomplete sequence
        Assert.Equal("\ufffd", Tokenizer.TokenText(47249));
    }

    [Fact]
    public void TokenAccessors_AllByteTokens_StandForTheirByte()
    {
        for (int b = 0; b < 0x80; b++)
        {
            int id = Assert.Single(Tokenizer.Encode(((char)b).ToString()));
            Assert.Equal(new[] { (byte)b }, Tokenizer.TokenBytes(id).ToArray());
        }
        var bytes = new HashSet<byte>();
        for (int id = 0; id < Tokenizer.VocabSize; id++)
        {
            if (Tokenizer.TokenBytes(id).Length == 1)
                bytes.Add(Tokenizer.TokenBytes(id)[0]);
        }
        Assert.Equal(256, bytes.Count);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(50257)]
    [InlineData(int.MaxValue)]
    public void Decode_IdOutsideVocabulary_ThrowsNamingTheId(int id)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode(new[] { 15496, id }));
        Assert.Contains($"id {id} (position 1)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.TokenText(id));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.TokenString(id));
    }

    [Fact]
    public void Decode_CutMultiByteSequence_UsesOneReplacementPerMaximalSubpart()
    {
        // 😊 = F0 9F 98 8A = [47249 (F0 9F 98), 232 (8A)]: each half alone is invalid
        Assert.Equal("\ufffd", Tokenizer.Decode(new[] { 47249 }));
        Assert.Equal("\ufffd", Tokenizer.Decode(new[] { 232 }));
        Assert.Equal("\ufffd\ufffd", Tokenizer.Decode(new[] { 232, 47249 }));
        Assert.Equal("😊", Tokenizer.Decode(new[] { 47249, 232 }));
    }

    [Fact]
    public void Decode_LeadingByteOrderMark_IsKeptLikePython()
    {
        // gpt-3-encoder's TextDecoder drops a leading EF BB BF ("Hello"); encoder.py's bytes.decode keeps U+FEFF
        int[] ids = Tokenizer.Encode("\ufeffHello");
        Assert.Equal(new[] { 171, 119, 123, 15496 }, ids);
        Assert.Equal("\ufeffHello", Tokenizer.Decode(ids));
    }

    [Fact]
    public void Encode_TinyCache_GivesSameIdsAsDefaultCache()
    {
        Gpt2Tokenizer tiny = Gpt2TestAssets.Load(new Gpt2TokenizerOptions { CacheCapacity = 3 });
        foreach (Gpt2Vector v in Gpt2TestAssets.Vectors.Where(v => v.Ids is not null).Take(500))
        {
            int[] expected = Tokenizer.Encode(v.Text);
            Assert.Equal(expected, tiny.Encode(v.Text));
            Assert.Equal(expected, Gpt2TestAssets.Uncached.Encode(v.Text));
        }
    }

    [Fact]
    public void Encode_LongPieces_MatchUncachedAndRoundTrip()
    {
        // pre-tokens longer than the cache limit and than the stack buffers take the pooled path
        string longWord = string.Concat(Enumerable.Repeat("abcdefghij", 300));
        string longCjk = string.Concat(Enumerable.Repeat("漢字かな交じり文", 200));
        string longEmoji = string.Concat(Enumerable.Repeat("😊", 500));
        foreach (string s in new[] { longWord, longCjk, longEmoji, " " + longWord, new string(' ', 3000) + "x" })
        {
            int[] ids = Tokenizer.Encode(s);
            Assert.Equal(s, Tokenizer.Decode(ids));
            Assert.Equal(ids, Gpt2TestAssets.Uncached.Encode(s));
        }
        // 1000 spaces before "x": 999 single spaces (220) then " x"
        int[] spaces = Tokenizer.Encode(new string(' ', 1000) + "x");
        Assert.Equal(Tokenizer.Encode(new string(' ', 999)), spaces[..^1]);
        Assert.Equal(2124, spaces[^1]); // "Ġx"
    }

    [Fact]
    public void Encode_ConcurrentCallers_GetSameIdsAsSerial()
    {
        Gpt2Tokenizer shared = Gpt2TestAssets.Load(new Gpt2TokenizerOptions { CacheCapacity = 64 });
        string[] texts = Gpt2TestAssets.Vectors.Where(v => v.Ids is not null).Take(2000).Select(v => v.Text).ToArray();
        int[][] serial = texts.Select(t => Tokenizer.Encode(t)).ToArray();
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = shared.Encode(texts[i]));
        for (int i = 0; i < texts.Length; i++)
            Assert.Equal(serial[i], parallel[i]);
    }

    [Fact]
    public void Load_NegativeCacheCapacity_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Gpt2TestAssets.Load(new Gpt2TokenizerOptions { CacheCapacity = -1 }));
    }
}
