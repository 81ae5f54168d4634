// Settings for Gpt2Tokenizer.Load.

namespace Unravel.IO.Text;

/// <summary>Options for <see cref="Gpt2Tokenizer.Load"/>.</summary>
public sealed record Gpt2TokenizerOptions
{
    /// <summary>Whitespace definition of the pre-tokenisation pattern; <see cref="Gpt2Whitespace.Python"/> (the
    /// tokenizer GPT-2 was trained with) by default, <see cref="Gpt2Whitespace.JavaScript"/> reproduces
    /// gpt-3-encoder exactly.</summary>
    public Gpt2Whitespace Whitespace { get; init; } = Gpt2Whitespace.Python;

    /// <summary>Most pre-tokens whose BPE result is kept; the cache is emptied when it fills. 0 disables it.</summary>
    public int CacheCapacity { get; init; } = 100_000;
}
