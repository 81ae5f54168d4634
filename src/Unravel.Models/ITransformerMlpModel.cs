// The capability of a transformer whose blocks feed a layer-normed residual stream into a two-layer MLP, as the
// neuron-embeddings method needs it: where to read the MLP's input and its neurons, and the weights that map one to
// the other (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166, §3.1 eq. 1-2).

namespace Unravel.Models;

/// <summary>A transformer with an MLP after a layer norm in each block: pre[j] = LN(x)·W_in[j] + b_in[j].</summary>
/// <remarks>Methods ask the model for its <see cref="TransformerMlp"/> per block instead of switching on the model
/// type, so any architecture with this shape (GPT-2, and later others) works with them.</remarks>
public interface ITransformerMlpModel
{
    /// <summary>The number of blocks with an MLP.</summary>
    int MlpLayerCount { get; }

    /// <summary>The hooks and weights of block <paramref name="layer"/>'s MLP.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The layer is outside 0 … <see cref="MlpLayerCount"/> − 1.</exception>
    TransformerMlp MlpLayer(int layer);

    /// <summary>Runs token ids through the blocks 0 … <paramref name="lastLayer"/> only (their hooks fire as in a full
    /// forward pass, with the same values), skipping the later blocks and the output head.</summary>
    /// <param name="tokens">Row-major [batch, seq] token ids.</param>
    /// <param name="batch">B.</param>
    /// <param name="seq">T.</param>
    /// <param name="lastLayer">The last block to run.</param>
    /// <returns>The residual stream after block <paramref name="lastLayer"/>, [B, T, C].</returns>
    /// <exception cref="ArgumentException">Bad tokens or shape, or the layer is out of range.</exception>
    /// <remarks>A language model's head is often its most expensive layer (for a small model with GPT-2's 50,257-token
    /// vocabulary, most of the forward pass), and analyses of an MLP layer never need it.</remarks>
    Tensor ForwardThroughLayer(int[] tokens, int batch, int seq, int lastLayer);
}
