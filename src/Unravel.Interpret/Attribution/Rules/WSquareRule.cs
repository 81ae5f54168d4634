// LRP-w² (Montavon et al. 2017, "Explaining nonlinear classification decisions with deep Taylor decomposition",
// https://doi.org/10.1016/j.patcog.2016.11.008): R_i = Σ_j w_ij² / stab(Σ_i' w_i'j² + b_j²) R_j (zennit keeps b² in the
// denominator).

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>LRP-w²: input-independent redistribution by squared weights (for unbounded first-layer inputs).</summary>
/// <param name="stabilizer">Denominator stabiliser.</param>
public sealed class WSquareRule(float stabilizer = Stabilizer.DefaultEpsilon) : AffineRule
{
    public float StabilizerEpsilon { get; } = stabilizer;

    public override string Name => "wsquare";

    /// <inheritdoc/>
    public override Tensor Propagate(AffineLayer layer, Tensor x, Tensor relevance)
    {
        Tensor? b2 = layer.Bias is null ? null : Elementwise.Square(layer.Bias);
        (Tensor z, Func<Tensor, Tensor> vjp) = layer.Linearize(Elementwise.OnesLike(x), Elementwise.Square(layer.Weight), b2);
        return vjp(Stabilizer.Divide(relevance, z, StabilizerEpsilon));
    }
}
