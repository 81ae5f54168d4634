// The LRP denominator stabiliser of zennit (core.py `stabilize`): z + ε·sign(z) with sign(0) := +1, so a zero
// denominator becomes +ε and the sign of the ratio is kept. Reference: Bach et al. 2015, "On Pixel-Wise Explanations
// for Non-Linear Classifier Decisions by Layer-Wise Relevance Propagation", https://doi.org/10.1371/journal.pone.0130140.

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution;

/// <summary>Divides relevance by stabilised denominators.</summary>
public static class Stabilizer
{
    /// <summary>zennit's default stabiliser for every rule (1e-6).</summary>
    public const float DefaultEpsilon = 1e-6f;

    /// <summary>relevance / (z + ε·sign(z)), elementwise, sign(0) = +1; untracked.</summary>
    /// <remarks>Effectively computes s[i] = r[i] / (z[i] + (z[i] ≥ 0 ? ε : −ε)).</remarks>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor Divide(Tensor relevance, Tensor z, float epsilon = DefaultEpsilon)
    {
        if (relevance.Length != z.Length)
            throw new ArgumentException($"Stabilizer.Divide: relevance {relevance.ShapeString} and denominator {z.ShapeString} differ.");
        Tensor s = Tensor.Zeros(z.Shape.ToArray());
        ReadOnlySpan<float> r = relevance.Data, zz = z.Data;
        Span<float> o = s.Data;
        for (int i = 0; i < o.Length; i++)
        {
            float d = zz[i];
            o[i] = r[i] / (d >= 0f ? d + epsilon : d - epsilon);
        }
        return s;
    }
}
