// Rules for parameter-free ops (zennit's Norm and Pass hooks). A node rule replaces the node's backward outright.

using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>A rule for a parameter-free op (sum, pooling, activation).</summary>
public abstract class NodeRule : LrpRule
{
    /// <summary>Accumulates the input relevance of <paramref name="node"/> into <paramref name="grads"/>.</summary>
    /// <param name="node">The tape node.</param>
    /// <param name="relevance">Relevance at the node's output.</param>
    /// <param name="grads">Receives relevance for the node's tracked inputs.</param>
    public abstract void Propagate(Node node, Tensor relevance, GradStore grads);
}
