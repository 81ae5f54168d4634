// LRP-αβ (Bach et al. 2015, https://doi.org/10.1371/journal.pone.0130140), zennit's form:
// R_i = Σ_j [α (x_i⁺w_ij⁺ + x_i⁻w_ij⁻)/stab(z_j⁺) − β (x_i⁺w_ij⁻ + x_i⁻w_ij⁺)/stab(z_j⁻)] R_j,
// z_j⁺ = Σ(x⁺w⁺ + x⁻w⁻) + b_j⁺, z_j⁻ = Σ(x⁺w⁻ + x⁻w⁺) + b_j⁻, with α − β = 1.

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>LRP-αβ; α = 2, β = 1 by default.</summary>
public sealed class AlphaBetaRule : AffineRule
{
    /// <exception cref="ArgumentException">α or β negative, or α − β ≠ 1.</exception>
    public AlphaBetaRule(float alpha = 2f, float beta = 1f, float stabilizer = Stabilizer.DefaultEpsilon)
    {
        if (alpha < 0 || beta < 0 || MathF.Abs(alpha - beta - 1f) > 1e-6f)
            throw new ArgumentException($"alpha-beta rule: need α, β ≥ 0 and α − β = 1, got α = {alpha}, β = {beta}.");
        Alpha = alpha;
        Beta = beta;
        StabilizerEpsilon = stabilizer;
    }

    public float Alpha { get; }
    public float Beta { get; }
    public float StabilizerEpsilon { get; }

    public override string Name => $"alpha{Alpha:G3}beta{Beta:G3}";

    /// <inheritdoc/>
    public override Tensor Propagate(AffineLayer layer, Tensor x, Tensor relevance)
    {
        Tensor xp = Elementwise.Positive(x), xn = Elementwise.Negative(x);
        Tensor wp = Elementwise.Positive(layer.Weight), wn = Elementwise.Negative(layer.Weight);
        Tensor? bp = layer.Bias is null ? null : Elementwise.Positive(layer.Bias);
        Tensor? bn = layer.Bias is null ? null : Elementwise.Negative(layer.Bias);
        bool neg = HasNegative(x);
        Tensor r = Tensor.Zeros(x.Shape.ToArray());
        Accumulate(layer, xp, xn, wp, bp, wn, neg, relevance, Alpha, r);   // positive contributions
        Accumulate(layer, xp, xn, wn, bn, wp, neg, relevance, -Beta, r);   // negative contributions
        return r;
    }

    // r += scale · [x⁺ ⊙ J(w1, b1)ᵀ s + x⁻ ⊙ J(w2)ᵀ s], s = R / stab(z(x⁺; w1, b1) + z(x⁻; w2)).
    private void Accumulate(AffineLayer layer, Tensor xp, Tensor xn, Tensor w1, Tensor? b1, Tensor w2, bool neg,
        Tensor relevance, float scale, Tensor r)
    {
        if (scale == 0f) return;
        (Tensor z1, Func<Tensor, Tensor> v1) = layer.Linearize(xp, w1, b1);
        if (!neg)
        {
            Elementwise.MultiplyAccumulate(xp, v1(Stabilizer.Divide(relevance, z1, StabilizerEpsilon)), scale, r.Data);
            return;
        }
        (Tensor z2, Func<Tensor, Tensor> v2) = layer.Linearize(xn, w2, null);
        Tensor s = Stabilizer.Divide(relevance, Elementwise.Add(z1, z2), StabilizerEpsilon);
        Elementwise.MultiplyAccumulate(xp, v1(s), scale, r.Data);
        Elementwise.MultiplyAccumulate(xn, v2(s), scale, r.Data);
    }
}
