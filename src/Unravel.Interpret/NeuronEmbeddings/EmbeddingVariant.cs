// Readings of the "pre-MLP embedding" h of a transformer MLP neuron (A. Foote 2024, "Tackling Polysemanticity with
// Neuron Embeddings", arXiv 2411.08166, §3.1 eq. 2: e = h ⊙ w). The paper extracted activations with TransformerLens
// but does not name the hook, so the method offers three.

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Which vector h and weights w make up e = h ⊙ w.</summary>
public enum EmbeddingVariant
{
    /// <summary>TransformerLens defaults (fold_ln, centred weights): h = x̂ (the normalised residual before γ, β),
    /// w' = γ ⊙ W_in[j] − mean(γ ⊙ W_in[j]), b' = b_in[j] + β · W_in[j]; Σe + b' = pre.</summary>
    TransformerLens,

    /// <summary>Raw Hugging Face weights: h = LN(x) = x̂ ⊙ γ + β, w = W_in[j], b' = b_in[j]; Σe + b' = pre.</summary>
    HuggingFace,

    /// <summary>The residual stream before the layer norm (hook_resid_mid), with TransformerLens's w'; Σe is not the
    /// pre-activation (the normalisation is left out).</summary>
    Residual,
}
