// Base of the rules for convolution and dense layers, with the modifier sets written out as in zennit's BasicHook:
// R_in = Σ_m x_m ⊙ J_m^T (R_out / stab(Σ z_m)), z_m = layer(x_m; θ_m).

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>A rule for a <see cref="AffineLayer"/> (convolution or dense).</summary>
public abstract class AffineRule : LrpRule
{
    /// <summary>Relevance at the layer input.</summary>
    /// <param name="layer">The layer with its (canonized) parameters.</param>
    /// <param name="x">The layer's input activation (untracked use only).</param>
    /// <param name="relevance">Relevance at the layer output, shaped like the output.</param>
    /// <returns>Relevance shaped like <paramref name="x"/>.</returns>
    public abstract Tensor Propagate(AffineLayer layer, Tensor x, Tensor relevance);

    /// <summary>True when <paramref name="x"/> has a negative entry (post-ReLU inputs do not, so their x⁻ terms vanish).</summary>
    protected static bool HasNegative(Tensor x) => x.Length > 0 && System.Numerics.Tensors.TensorPrimitives.Min(x.Data) < 0f;
}
