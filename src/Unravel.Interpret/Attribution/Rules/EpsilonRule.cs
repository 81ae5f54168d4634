// LRP-ε (Bach et al. 2015, https://doi.org/10.1371/journal.pone.0130140): R_i = Σ_j x_i w_ij / stab_ε(z_j) R_j with
// z_j = Σ_i x_i w_ij + b_j. ε → 0 gives LRP-0, which equals gradient × input on ReLU networks.

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>LRP-ε; the bias takes part in z (and absorbs relevance).</summary>
/// <param name="epsilon">Stabiliser ε (zennit default 1e-6); larger values absorb weak or contradictory relevance.</param>
public sealed class EpsilonRule(float epsilon = Stabilizer.DefaultEpsilon) : AffineRule
{
    public float Epsilon { get; } = epsilon;

    public override string Name => $"epsilon({Epsilon:G3})";

    /// <inheritdoc/>
    /// <remarks>Effectively computes R_in = x ⊙ Wᵀ(R / stab_ε(x·W + b)).</remarks>
    public override Tensor Propagate(AffineLayer layer, Tensor x, Tensor relevance)
    {
        (Tensor z, Func<Tensor, Tensor> vjp) = layer.Linearize(x, layer.Weight, layer.Bias);
        return Elementwise.Multiply(x, vjp(Stabilizer.Divide(relevance, z, Epsilon)));
    }
}
