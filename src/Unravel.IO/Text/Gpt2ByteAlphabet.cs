// GPT-2's reversible byte → printable character map (`bytes_to_unicode` in OpenAI's gpt-2 src/encoder.py): BPE runs
// on strings of these characters, so every vocabulary entry is a sequence of bytes in disguise.
// Reference: https://github.com/openai/gpt-2/blob/master/src/encoder.py

namespace Unravel.IO.Text;

/// <summary>The 256-symbol alphabet of GPT-2's byte-level BPE.</summary>
/// <remarks>Printable bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF stand for themselves; the other 68 bytes, in
/// increasing order, map to U+0100, U+0101, … (space → 'Ġ' U+0120, newline → 'Ċ' U+010A).</remarks>
internal static class Gpt2ByteAlphabet
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly short[] s_charToByte = BuildCharToByte(s_byteToChar);

    /// <summary>Highest character of the alphabet (U+0143); every symbol lies in [U+0021, U+0143].</summary>
    public const char MaxChar = '\u0143';

    public static char ToChar(byte b) => s_byteToChar[b];

    /// <summary>The byte a symbol stands for, or -1 when the character is not in the alphabet.</summary>
    public static int ToByte(char c) => c <= MaxChar ? s_charToByte[c] : -1;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static short[] BuildCharToByte(char[] byteToChar)
    {
        var map = new short[MaxChar + 1];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++)
            map[byteToChar[b]] = (short)b;
        return map;
    }
}
