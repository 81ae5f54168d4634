// LRP-z⁺ (Bach et al. 2015; Montavon et al. 2017, https://doi.org/10.1016/j.patcog.2016.11.008), in zennit's form that
// allows negative inputs: R_i = Σ_j (x_i⁺ w_ij⁺ + x_i⁻ w_ij⁻) / stab(Σ_i' (x⁺w⁺ + x⁻w⁻) + b_j⁺) R_j (= α1β0).

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>LRP-z⁺: only contributions that raise z_j receive relevance.</summary>
/// <param name="stabilizer">Denominator stabiliser (zennit default 1e-6).</param>
public sealed class ZPlusRule(float stabilizer = Stabilizer.DefaultEpsilon) : AffineRule
{
    public float StabilizerEpsilon { get; } = stabilizer;

    public override string Name => "zplus";

    /// <inheritdoc/>
    public override Tensor Propagate(AffineLayer layer, Tensor x, Tensor relevance)
    {
        Tensor xp = Elementwise.Positive(x);
        Tensor wp = Elementwise.Positive(layer.Weight);
        Tensor? bp = layer.Bias is null ? null : Elementwise.Positive(layer.Bias);
        (Tensor z1, Func<Tensor, Tensor> v1) = layer.Linearize(xp, wp, bp);
        if (!HasNegative(x))
            return Elementwise.Multiply(xp, v1(Stabilizer.Divide(relevance, z1, StabilizerEpsilon)));
        Tensor xn = Elementwise.Negative(x);
        (Tensor z2, Func<Tensor, Tensor> v2) = layer.Linearize(xn, Elementwise.Negative(layer.Weight), null);
        Tensor s = Stabilizer.Divide(relevance, Elementwise.Add(z1, z2), StabilizerEpsilon);
        Tensor r = Elementwise.Multiply(xp, v1(s));
        Elementwise.MultiplyAccumulate(xn, v2(s), r.Data);
        return r;
    }
}
