// The common surface of autoregressive language models: token ids in, next-token logits out.

namespace Unravel.Models.Text;

/// <summary>A causal language model over a fixed vocabulary.</summary>
public interface ILanguageModel
{
    /// <summary>V, the number of token ids (logits per position).</summary>
    int VocabSize { get; }

    /// <summary>The longest sequence the model accepts (its number of learned positions).</summary>
    int Context { get; }

    /// <summary>Next-token logits for a batch of token sequences.</summary>
    /// <param name="tokens">Token ids, row-major [batch, seq], each in [0, <see cref="VocabSize"/>).</param>
    /// <param name="batch">B.</param>
    /// <param name="seq">T, at most <see cref="Context"/>.</param>
    /// <returns>[B, T, V]: position t's logits predict token t + 1.</returns>
    /// <exception cref="ArgumentException">The token count is not B·T, T exceeds the context, or an id is out of range.</exception>
    Tensor Forward(int[] tokens, int batch, int seq);
}
