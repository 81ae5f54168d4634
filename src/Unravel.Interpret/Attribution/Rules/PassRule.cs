// zennit's Pass rule for elementwise activations (ReLU) and an unfolded batch norm: the relevance at the output is
// handed unchanged to the input.

using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>Relevance passes through unchanged (first input of the node).</summary>
public sealed class PassRule : NodeRule
{
    public override string Name => "pass";

    /// <inheritdoc/>
    public override void Propagate(Node node, Tensor relevance, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (grads.Wants(x)) grads.Accumulate(x, relevance.Data);
    }
}
