// Generalised LRP-γ (Montavon et al. 2019, https://doi.org/10.1007/978-3-030-28954-6_10; Andéol et al. 2021), as in
// zennit ≥ 0.5: for z_j > 0, R_i = Σ_j [x_i⁺(w+γw⁺)_ij + x_i⁻(w+γw⁻)_ij] / stab(Σ_i'[…] + b_j + γb_j⁺) R_j;
// for z_j < 0 the roles of w⁺ and w⁻ swap (bias b_j + γb_j⁻); z_j = 0 passes nothing.

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>LRP-γ: favours positive contributions by γ (0.25 by default).</summary>
/// <param name="gamma">γ ≥ 0; γ = 0 reduces to LRP-0.</param>
/// <param name="stabilizer">Denominator stabiliser.</param>
public sealed class GammaRule(float gamma = 0.25f, float stabilizer = Stabilizer.DefaultEpsilon) : AffineRule
{
    public float Gamma { get; } = gamma >= 0 ? gamma : throw new ArgumentException($"gamma rule: γ must be ≥ 0, got {gamma}.");
    public float StabilizerEpsilon { get; } = stabilizer;

    public override string Name => $"gamma({Gamma:G3})";

    /// <inheritdoc/>
    public override Tensor Propagate(AffineLayer layer, Tensor x, Tensor relevance)
    {
        Tensor w = layer.Weight;
        Tensor wUp = Elementwise.AddScaled(w, Elementwise.Positive(w), Gamma);   // w + γw⁺
        Tensor wDown = Elementwise.AddScaled(w, Elementwise.Negative(w), Gamma); // w + γw⁻
        Tensor? bUp = layer.Bias is null ? null : Elementwise.AddScaled(layer.Bias, Elementwise.Positive(layer.Bias), Gamma);
        Tensor? bDown = layer.Bias is null ? null : Elementwise.AddScaled(layer.Bias, Elementwise.Negative(layer.Bias), Gamma);
        Tensor z = layer.Forward(x, w, layer.Bias);
        Tensor xp = Elementwise.Positive(x), xn = Elementwise.Negative(x);
        bool neg = HasNegative(x);
        Tensor r = Tensor.Zeros(x.Shape.ToArray());
        Accumulate(layer, xp, xn, wUp, bUp, wDown, neg, Gated(relevance, z, positive: true), r);
        Accumulate(layer, xp, xn, wDown, bDown, wUp, neg, Gated(relevance, z, positive: false), r);
        return r;
    }

    // R masked to the outputs with z > 0 (positive) or z < 0.
    private static Tensor Gated(Tensor relevance, Tensor z, bool positive)
    {
        Tensor g = Tensor.Zeros(relevance.Shape.ToArray());
        ReadOnlySpan<float> rr = relevance.Data, zz = z.Data;
        Span<float> o = g.Data;
        for (int i = 0; i < o.Length; i++)
            if (positive ? zz[i] > 0f : zz[i] < 0f) o[i] = rr[i];
        return g;
    }

    // r += x⁺ ⊙ J(w1, b1)ᵀ s + x⁻ ⊙ J(w2)ᵀ s, s = R_gated / stab(z(x⁺; w1, b1) + z(x⁻; w2)).
    private void Accumulate(AffineLayer layer, Tensor xp, Tensor xn, Tensor w1, Tensor? b1, Tensor w2, bool neg,
        Tensor gated, Tensor r)
    {
        (Tensor z1, Func<Tensor, Tensor> v1) = layer.Linearize(xp, w1, b1);
        if (!neg)
        {
            Elementwise.MultiplyAccumulate(xp, v1(Stabilizer.Divide(gated, z1, StabilizerEpsilon)), r.Data);
            return;
        }
        (Tensor z2, Func<Tensor, Tensor> v2) = layer.Linearize(xn, w2, null);
        Tensor s = Stabilizer.Divide(gated, Elementwise.Add(z1, z2), StabilizerEpsilon);
        Elementwise.MultiplyAccumulate(xp, v1(s), r.Data);
        Elementwise.MultiplyAccumulate(xn, v2(s), r.Data);
    }
}
