// The plain gradient as a rule, for composites that must not modify the backward (PURE's circuits use the gradient
// with an empty composite, spec §1.3): affine layers pull relevance back with Jᵀ (no input factor), parameter-free
// ops use their own backward. With batch-norm folding the result is unchanged (Jᵀ of the folded convolution is the
// gradient through BN and convolution).

using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>Plain gradient for convolution/dense layers: R_in = Jᵀ R_out.</summary>
public sealed class GradientRule : AffineRule
{
    public override string Name => "gradient";

    /// <inheritdoc/>
    public override Tensor Propagate(AffineLayer layer, Tensor x, Tensor relevance) =>
        layer.Linearize(x, layer.Weight, layer.Bias).InputGradient(relevance);
}

/// <summary>Plain gradient for parameter-free ops (the op's own backward).</summary>
public sealed class GradientNodeRule : NodeRule
{
    public override string Name => "gradient";

    /// <inheritdoc/>
    public override void Propagate(Node node, Tensor relevance, GradStore grads) => node.Backward(node, relevance, grads);
}
