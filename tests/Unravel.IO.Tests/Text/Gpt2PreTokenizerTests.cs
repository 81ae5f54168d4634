// The hand-written scanner against the pattern's documented splits (spec §5.3, §5.6), including the cases where
// .NET's Regex would differ (letters and digits outside the BMP) and the two whitespace flavours.

using Unravel.IO.Text;

namespace Unravel.IO.Tests.Text;

public sealed class Gpt2PreTokenizerTests
{
    [Theory]
    [InlineData("DON'T", new[] { "DON", "'", "T" })]                      // contractions are case-sensitive
    [InlineData("don't", new[] { "don", "'t" })]
    [InlineData("they're we've I'll he'd I'm", new[] { "they", "'re", " we", "'ve", " I", "'ll", " he", "'d", " I", "'m" })]
    [InlineData("''s", new[] { "''", "s" })]                               // the punctuation run wins at position 0
    [InlineData(" 's", new[] { " '", "s" })]
    [InlineData("a   b", new[] { "a", "  ", " b" })]                       // \s+(?!\S) leaves one space for the word
    [InlineData("\n\nc", new[] { "\n", "\n", "c" })]
    [InlineData("a \n b", new[] { "a", " \n", " b" })]
    [InlineData("x\ty", new[] { "x", "\t", "y" })]                        // a lone non-space char before a word: \s+
    [InlineData(" trailing  ", new[] { " trailing", "  " })]
    [InlineData("hi!? 3.14", new[] { "hi", "!?", " 3", ".", "14" })]
    [InlineData("a1b2", new[] { "a", "1", "b", "2" })]
    [InlineData("𝐀𝐁 𠀀x", new[] { "𝐀𝐁", " 𠀀x" })]                          // astral letters; .NET Regex gives 𝐀𝐁| 𠀀|x
    [InlineData("x𝟙𝟚y", new[] { "x", "𝟙𝟚", "y" })]                         // astral digits (Nd)
    [InlineData("Hello 😊 world", new[] { "Hello", " 😊", " world" })]
    [InlineData("e\u0301", new[] { "e", "\u0301" })]                       // combining marks (Mn) are not letters
    [InlineData("a\u00a0b", new[] { "a", "\u00a0", "b" })]                 // NBSP is \s but not the optional ' '
    [InlineData("a\u001cb", new[] { "a", "\u001c", "b" })]                 // U+001C is not White_Space
    [InlineData("a\ud800b", new[] { "a", "\ud800", "b" })]                 // lone surrogate: its own Cs code point
    [InlineData(" \ud83d\ude0a\ud800", new[] { " \ud83d\ude0a\ud800" })]
    public void Split_Examples_MatchThePattern(string text, string[] expected)
    {
        Assert.Equal(expected, Gpt2PreTokenizer.Split(text, Gpt2Whitespace.Python));
        Assert.Equal(expected, Gpt2PreTokenizer.Split(text, Gpt2Whitespace.JavaScript));
    }

    [Theory]
    [InlineData("!\u0085!", new[] { "!", "\u0085", "!" }, new[] { "!\u0085!" })]
    [InlineData("!\ufeff!", new[] { "!\ufeff!" }, new[] { "!", "\ufeff", "!" })]
    [InlineData("a\u0085\u0085b", new[] { "a", "\u0085", "\u0085", "b" }, new[] { "a", "\u0085\u0085", "b" })]
    public void Split_NelAndBom_FollowTheChosenWhitespace(string text, string[] python, string[] javaScript)
    {
        Assert.Equal(python, Gpt2PreTokenizer.Split(text, Gpt2Whitespace.Python));
        Assert.Equal(javaScript, Gpt2PreTokenizer.Split(text, Gpt2Whitespace.JavaScript));
    }

    [Fact]
    public void Split_AnyText_TilesTheInput()
    {
        var random = new Random(7);
        for (int t = 0; t < 2000; t++)
        {
            var chars = new char[random.Next(0, 20)];
            for (int i = 0; i < chars.Length; i++)
                chars[i] = (char)random.Next(0, 0x10000);
            string s = new(chars);
            List<string> pieces = Gpt2PreTokenizer.Split(s);
            Assert.Equal(s, string.Concat(pieces));
            Assert.All(pieces, p => Assert.NotEmpty(p));
        }
    }
}
