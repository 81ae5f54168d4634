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
}
