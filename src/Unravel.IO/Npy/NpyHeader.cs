// Parser for the .npy header: a Python dict literal with exactly the keys 'descr' (a string), 'fortran_order'
// (True/False) and 'shape' (a tuple of ints), as numpy.lib.format._read_array_header accepts it (safe_eval of a
// literal; Python 2's 'L' suffix on integers is tolerated).

using System.Globalization;

namespace Unravel.IO;

internal static class NpyHeader
{
    /// <summary>Parses <paramref name="text"/>; <paramref name="baseOffset"/> is its file offset, for error messages.</summary>
    public static (string Descr, bool FortranOrder, int[] Shape) Parse(string path, string text, int baseOffset)
    {
        int pos = 0;
        string? descr = null;
        bool? fortran = null;
        int[]? shape = null;

        CheckpointFormatException Error(string problem) =>
            new(path, $"offset {baseOffset + pos} (header)", problem, "the header must look like {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");

        void SkipSpace()
        {
            while (pos < text.Length && text[pos] is ' ' or '\t' or '\n' or '\r') pos++;
        }

        void Expect(char c)
        {
            SkipSpace();
            if (pos >= text.Length || text[pos] != c) throw Error($"expected '{c}'");
            pos++;
        }

        string ReadString()
        {
            SkipSpace();
            if (pos >= text.Length || text[pos] is not ('\'' or '"'))
                throw Error(pos < text.Length && text[pos] == '[' ? "structured dtypes are not supported" : "expected a quoted string");
            char quote = text[pos++];
            int end = text.IndexOf(quote, pos);
            if (end < 0) throw Error("unterminated string");
            string s = text[pos..end];
            if (s.Contains('\\')) throw Error("escapes in header strings are not supported");
            pos = end + 1;
            return s;
        }

        int[] ReadTuple()
        {
            Expect('(');
            var dims = new List<int>();
            while (true)
            {
                SkipSpace();
                if (pos < text.Length && text[pos] == ')') { pos++; break; }
                int start = pos;
                while (pos < text.Length && char.IsAsciiDigit(text[pos])) pos++;
                if (pos == start) throw Error("expected a non-negative integer in the shape");
                if (!int.TryParse(text.AsSpan(start, pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
                    throw Error($"dimension {text[start..pos]} is larger than {int.MaxValue}");
                dims.Add(d);
                if (pos < text.Length && text[pos] == 'L') pos++;
                SkipSpace();
                if (pos < text.Length && text[pos] == ',') { pos++; continue; }
                if (pos < text.Length && text[pos] == ')') { pos++; break; }
                throw Error("expected ',' or ')' in the shape");
            }
            return [.. dims];
        }

        Expect('{');
        while (true)
        {
            SkipSpace();
            if (pos < text.Length && text[pos] == '}') { pos++; break; }
            string key = ReadString();
            Expect(':');
            SkipSpace();
            switch (key)
            {
                case "descr" when descr is null:
                    descr = ReadString();
                    break;
                case "fortran_order" when fortran is null:
                    if (string.CompareOrdinal(text, pos, "True", 0, 4) == 0) { fortran = true; pos += 4; }
                    else if (string.CompareOrdinal(text, pos, "False", 0, 5) == 0) { fortran = false; pos += 5; }
                    else throw Error("fortran_order must be True or False");
                    break;
                case "shape" when shape is null:
                    shape = ReadTuple();
                    break;
                default:
                    throw Error($"unexpected or repeated key '{key}'");
            }
            SkipSpace();
            if (pos < text.Length && text[pos] == ',') { pos++; continue; }
            if (pos < text.Length && text[pos] == '}') { pos++; break; }
            throw Error("expected ',' or '}'");
        }
        SkipSpace();
        if (pos != text.Length) throw Error("unexpected text after the header dict");
        if (descr is null || fortran is null || shape is null)
            throw Error("the header needs the keys 'descr', 'fortran_order' and 'shape'");
        return (descr, fortran.Value, shape);
    }
}
