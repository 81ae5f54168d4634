// One tagged word of the Brown corpus.

namespace Unravel.IO.Text;

/// <summary>A word and its Brown part-of-speech tag (e.g. "Fulton", "np-tl").</summary>
/// <param name="Word">The word as printed (Brown's `` and '' for opening and closing quotes).</param>
/// <param name="Tag">The tag, lower-case, with Brown's suffixes kept ("-tl" title, "-hl" headline, "$" possessive, "*" negation).</param>
public readonly record struct BrownToken(string Word, string Tag);
