// Options of token importance (A. Foote 2024, arXiv 2411.08166, §4.1.1 footnote; N2G saliency, Foote et al. 2023).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Which tokens are replaced, by what, and how many runs go in one batch.</summary>
public sealed record TokenImportanceOptions
{
    /// <summary>Tokens examined, ending with the key token (the viewer: 20).</summary>
    public int Back { get; init; } = 20;

    /// <summary>The replacement token (GPT-2's &lt;|endoftext|&gt; is 50256).</summary>
    public int Replacement { get; init; } = 50256;

    /// <summary>Sequences per forward pass.</summary>
    public int BatchSize { get; init; } = 64;
}
