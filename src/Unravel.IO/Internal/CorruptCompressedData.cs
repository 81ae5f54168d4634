// Recognises the exceptions with which System.IO.Compression reports a corrupt deflate/zlib/gzip stream.

namespace Unravel.IO.Internal;

internal static class CorruptCompressedData
{
    /// <summary>True for InvalidDataException and for System.IO.Compression.ZLibException, an internal IOException that
    /// zlib raises for some corrupt streams (found by fuzzing PNG: an invalid distance in a dynamic block).</summary>
    public static bool Is(Exception e) =>
        e is InvalidDataException || (e is IOException && e.GetType().FullName == "System.IO.Compression.ZLibException");
}
