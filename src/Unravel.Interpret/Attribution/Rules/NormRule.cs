// zennit's Norm rule for sums and average pools: each input receives relevance in proportion to its signed
// contribution, R_i = x_i / stab(Σ_i' x_i') R_j. It reuses the op's own backward as the Jacobian (a sum or an average
// is linear without bias), so one rule covers residual additions, average pools and global average pooling.

using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>Proportional redistribution for linear parameter-free ops (residual sums, average pools).</summary>
/// <param name="stabilizer">Denominator stabiliser; sums whose parts cancel are where it matters (zennit issue 148).</param>
public sealed class NormRule(float stabilizer = Stabilizer.DefaultEpsilon) : NodeRule
{
    public float StabilizerEpsilon { get; } = stabilizer;

    public override string Name => "norm";

    /// <inheritdoc/>
    /// <remarks>Effectively computes R_in = x ⊙ Jᵀ(R / stab(y)) for every tracked input x of y = op(x, …).</remarks>
    public override void Propagate(Node node, Tensor relevance, GradStore grads)
    {
        var local = new GradStore();
        node.Backward(node, Stabilizer.Divide(relevance, node.Output, StabilizerEpsilon), local);
        foreach (Tensor input in node.Inputs)
        {
            if (!grads.Wants(input) || !local.TryGet(input, out Tensor? g)) continue;
            grads.Accumulate(input, Elementwise.Multiply(input, g).Data);
        }
    }
}
