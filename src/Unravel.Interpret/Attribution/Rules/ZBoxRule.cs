// LRP-z^B (Montavon et al. 2017, https://doi.org/10.1016/j.patcog.2016.11.008) for box-bounded inputs l ≤ x ≤ h:
// R_i = Σ_j (x_i w_ij − l_i w_ij⁺ − h_i w_ij⁻) / stab(z_j − Σ l w⁺ − Σ h w⁻) R_j. As in zennit the bias enters each
// term clamped alike (b, b⁺, b⁻), so it cancels from the denominator.

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>LRP-z^B for the first layer; bounds per input channel (one value broadcasts to all channels).</summary>
public sealed class ZBoxRule : AffineRule
{
    /// <param name="low">Lowest input value per channel (after normalisation), or one value.</param>
    /// <param name="high">Highest input value per channel, or one value.</param>
    /// <param name="stabilizer">Denominator stabiliser.</param>
    /// <exception cref="ArgumentException">Empty bounds, different lengths, or low &gt; high.</exception>
    public ZBoxRule(IReadOnlyList<float> low, IReadOnlyList<float> high, float stabilizer = Stabilizer.DefaultEpsilon)
    {
        if (low.Count == 0 || low.Count != high.Count || low.Zip(high).Any(p => p.First > p.Second))
            throw new ArgumentException($"zbox rule: need per-channel bounds low ≤ high of equal length, got [{string.Join(", ", low)}] and [{string.Join(", ", high)}].");
        Low = low;
        High = high;
        StabilizerEpsilon = stabilizer;
    }

    public IReadOnlyList<float> Low { get; }
    public IReadOnlyList<float> High { get; }
    public float StabilizerEpsilon { get; }

    public override string Name => $"zbox([{string.Join(",", Low.Select(v => v.ToString("G3")))}], [{string.Join(",", High.Select(v => v.ToString("G3")))}])";

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The bounds do not match the input's channel count.</exception>
    public override Tensor Propagate(AffineLayer layer, Tensor x, Tensor relevance)
    {
        Tensor l = Expand(Low, x), h = Expand(High, x);
        (Tensor z1, Func<Tensor, Tensor> v1) = layer.Linearize(x, layer.Weight, layer.Bias);
        (Tensor z2, Func<Tensor, Tensor> v2) = layer.Linearize(l, Elementwise.Positive(layer.Weight),
            layer.Bias is null ? null : Elementwise.Positive(layer.Bias));
        (Tensor z3, Func<Tensor, Tensor> v3) = layer.Linearize(h, Elementwise.Negative(layer.Weight),
            layer.Bias is null ? null : Elementwise.Negative(layer.Bias));
        Tensor denom = Elementwise.AddScaled(Elementwise.AddScaled(z1, z2, -1f), z3, -1f);
        Tensor s = Stabilizer.Divide(relevance, denom, StabilizerEpsilon);
        Tensor r = Elementwise.Multiply(x, v1(s));
        Elementwise.MultiplyAccumulate(l, v2(s), -1f, r.Data);
        Elementwise.MultiplyAccumulate(h, v3(s), -1f, r.Data);
        return r;
    }

    // Per-channel bounds (channel axis 1, or the last axis of a 2-D input) broadcast to x's shape.
    private static Tensor Expand(IReadOnlyList<float> bound, Tensor x)
    {
        int c = x.Rank >= 2 ? x.Dim(1) : x.Length;
        if (bound.Count != 1 && bound.Count != c)
            throw new ArgumentException($"zbox rule: {bound.Count} bounds for an input with {c} channels ({x.ShapeString}).");
        Tensor t = Tensor.Zeros(x.Shape.ToArray());
        int inner = x.Rank > 2 ? x.Length / (x.Dim(0) * c) : 1;
        Span<float> d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = bound.Count == 1 ? bound[0] : bound[i / inner % c];
        return t;
    }
}
