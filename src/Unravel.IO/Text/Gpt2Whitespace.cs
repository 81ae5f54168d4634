// Which characters GPT-2's pre-tokenisation pattern treats as `\s`. The two published implementations disagree on
// exactly two code points; see Gpt2PreTokenizer for the pattern and the measurement behind this claim.

namespace Unravel.IO.Text;

/// <summary>The definition of whitespace (<c>\s</c>) used when splitting text into pre-tokens.</summary>
public enum Gpt2Whitespace
{
    /// <summary>Unicode White_Space, as Python's <c>regex</c> module applies it in OpenAI's original encoder.py
    /// (also tiktoken and Hugging Face): U+0009-U+000D, U+0020, U+0085, U+00A0 and the Zs/Zl/Zp characters.</summary>
    Python,

    /// <summary>ECMAScript <c>\s</c>, as in the npm package gpt-3-encoder: Python's set without U+0085 (NEL) and
    /// with U+FEFF (zero-width no-break space / byte-order mark).</summary>
    JavaScript,
}
