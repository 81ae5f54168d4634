// The hooks and first-layer weights of one transformer MLP fed by a layer norm, for methods that decompose a neuron's
// pre-activation into per-dimension contributions (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings",
// arXiv 2411.08166, §3.1). Letters: B batch, T positions, C width, F neurons (the MLP's inner width).

namespace Unravel.Models;

/// <summary>One block's MLP: pre = LN(x) · W_inᵀ + b_in with LN(x) = x̂ ⊙ γ + β and x̂ = (x − mean) / sqrt(var + eps).</summary>
/// <param name="Layer">Block index.</param>
/// <param name="ResidualHook">The residual stream x that enters the layer norm, [B, T, C] (TransformerLens hook_resid_mid).</param>
/// <param name="NormalizedHook">x̂, the layer norm before its affine part, [B, T, C] (TransformerLens ln2.hook_normalized).</param>
/// <param name="InputHook">LN(x), what the MLP multiplies by its input weights, [B, T, C].</param>
/// <param name="PreActivationHook">pre, [B, T, F] (TransformerLens mlp.hook_pre).</param>
/// <param name="ActivationHook">The neuron activations after the nonlinearity, [B, T, F] (TransformerLens mlp.hook_post).</param>
/// <param name="InputWeight">W_in in Linear layout [F, C]: row j is neuron j's input weights.</param>
/// <param name="InputBias">b_in [F].</param>
/// <param name="NormWeight">γ [C].</param>
/// <param name="NormBias">β [C].</param>
/// <param name="NormEps">The layer norm's eps.</param>
public sealed record TransformerMlp(int Layer, string ResidualHook, string NormalizedHook, string InputHook,
    string PreActivationHook, string ActivationHook, Tensor InputWeight, Tensor InputBias, Tensor NormWeight, Tensor NormBias,
    float NormEps)
{
    /// <summary>C, the residual width.</summary>
    public int Width => InputWeight.Dim(1);

    /// <summary>F, the number of neurons.</summary>
    public int Neurons => InputWeight.Dim(0);
}
