// Marks residual additions (ResNet BasicBlock/Bottleneck `out + identity`, and any add of two same-shaped activations)
// as sums, so relevance splits between branch and shortcut in proportion to their signed values (zennit ResNetCanonizer,
// which rewrites the add as stack + Sum to give it the Norm rule). Without it the add keeps its gradient and both
// branches receive the full relevance (relevance doubles at every block).

using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Attribution;

/// <summary>Residual additions get the composite's Sum rule (Norm).</summary>
public sealed class ResidualSumCanonizer : ICanonizer
{
    public string Name => "residual-sum";

    /// <inheritdoc/>
    public void Apply(LrpGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        foreach (Node n in graph.Nodes)
            if (n.Op == "add" && n.Inputs.Count == 2 && n.Inputs[0].IsTracked && n.Inputs[1].IsTracked
                && n.Inputs[0].Shape.SequenceEqual(n.Inputs[1].Shape))
                graph.MarkSum(n);
    }
}
