// GPT-2's pre-tokenisation: a hand-written code-point scanner equivalent to the pattern of OpenAI's encoder.py,
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// with the regex engine's leftmost-first alternation and greedy repetition. .NET's Regex works on UTF-16 code units,
// so letters and digits outside the BMP (surrogate pairs) would fall into the punctuation class; this scanner decodes
// code points instead. A lone surrogate is its own code point of category Cs (punctuation class), as in Python and in
// JavaScript with the /u flag.
//
// Character classes (measured over all 1,112,064 scalar values): Rune.IsLetter / Rune.IsNumber / Rune.IsWhiteSpace
// in .NET 10 equal Python `regex` 2026.5.9's \p{L} / \p{N} / \s exactly, except for the 4,655 letters and digits
// first assigned in Unicode 17.0, which .NET 10 (Unicode 16.0) still reports as unassigned. JavaScript's \s (Node 20,
// gpt-3-encoder) differs from Python's only by U+0085 (not space in JS) and U+FEFF (space in JS).
// Reference: https://github.com/openai/gpt-2/blob/master/src/encoder.py

using System.Globalization;
using System.Text;

namespace Unravel.IO.Text;

/// <summary>Splits text into the pre-tokens that GPT-2's BPE encodes one by one.</summary>
internal static class Gpt2PreTokenizer
{
    private enum CharClass : byte { Letter, Number, Space, Other }

    private static readonly CharClass[] s_ascii = BuildAsciiClasses();

    /// <summary>Length in UTF-16 code units of the pre-token that starts at <paramref name="start"/>.</summary>
    /// <remarks>Effectively computes the length of the regex match at <paramref name="start"/>; pre-tokens tile the
    /// text, so calling it again at start + length walks the whole string.</remarks>
    public static int MatchLength(ReadOnlySpan<char> text, int start, Gpt2Whitespace whitespace)
    {
        int n = text.Length;
        char c = text[start];

        if (c == '\'' && start + 1 < n)
        {
            int contraction = ContractionLength(text, start);
            if (contraction > 0)
                return contraction;
        }

        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: the optional prefix is U+0020 only.
        int runStart = start;
        CharClass cls = Classify(text, start, whitespace, out int width);
        if (c == ' ' && start + 1 < n)
        {
            CharClass next = Classify(text, start + 1, whitespace, out int nextWidth);
            if (next != CharClass.Space)
            {
                runStart = start + 1;
                cls = next;
                width = nextWidth;
            }
        }
        if (cls != CharClass.Space)
            return RunEnd(text, runStart + width, cls, whitespace) - start;

        // `\s+(?!\S)` backs off one character when the run is followed by a non-space, leaving it to prefix the next
        // word; a single space before a non-space falls through to `\s+` and stands alone.
        int end = start + width;
        int lastWidth = width;
        int count = 1;
        while (end < n)
        {
            if (Classify(text, end, whitespace, out int w) != CharClass.Space)
                break;
            end += w;
            lastWidth = w;
            count++;
        }
        if (end < n && count > 1)
            end -= lastWidth;
        return end - start;
    }

    /// <summary>All pre-tokens of <paramref name="text"/>, in order (for tests and inspection).</summary>
    public static List<string> Split(string text, Gpt2Whitespace whitespace = Gpt2Whitespace.Python)
    {
        var pieces = new List<string>();
        for (int pos = 0; pos < text.Length;)
        {
            int length = MatchLength(text, pos, whitespace);
            pieces.Add(text.Substring(pos, length));
            pos += length;
        }
        return pieces;
    }

    // 's|'t|'re|'ve|'m|'ll|'d, case-sensitive; text[start] is the apostrophe.
    private static int ContractionLength(ReadOnlySpan<char> text, int start)
    {
        char a = text[start + 1];
        if (a is 's' or 't' or 'm' or 'd')
            return 2;
        if (start + 2 < text.Length)
        {
            char b = text[start + 2];
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
                return 3;
        }
        return 0;
    }

    private static int RunEnd(ReadOnlySpan<char> text, int pos, CharClass cls, Gpt2Whitespace whitespace)
    {
        while (pos < text.Length && Classify(text, pos, whitespace, out int width) == cls)
            pos += width;
        return pos;
    }

    private static CharClass Classify(ReadOnlySpan<char> text, int pos, Gpt2Whitespace whitespace, out int width)
    {
        char c = text[pos];
        if (c < 0x80)
        {
            width = 1;
            return s_ascii[c];
        }
        if (Rune.DecodeFromUtf16(text[pos..], out Rune rune, out width) != System.Buffers.OperationStatus.Done)
        {
            width = 1; // lone surrogate: category Cs
            return CharClass.Other;
        }
        if (whitespace == Gpt2Whitespace.JavaScript)
        {
            if (rune.Value == 0xFEFF)
                return CharClass.Space;
            if (rune.Value == 0x85)
                return CharClass.Other;
        }
        if (Rune.IsWhiteSpace(rune))
            return CharClass.Space;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber
                or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }

    private static CharClass[] BuildAsciiClasses()
    {
        var table = new CharClass[128];
        for (int c = 0; c < 128; c++)
        {
            table[c] = c switch
            {
                >= 'a' and <= 'z' or >= 'A' and <= 'Z' => CharClass.Letter,
                >= '0' and <= '9' => CharClass.Number,
                (>= '\t' and <= '\r') or ' ' => CharClass.Space,
                _ => CharClass.Other,
            };
        }
        return table;
    }
}
