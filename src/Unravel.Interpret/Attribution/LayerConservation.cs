// One row of the conservation report: the relevance a node received and the relevance it passed on.

namespace Unravel.Interpret.Attribution;

/// <summary>Relevance into and out of one graph node during the backward walk (summed over the batch).</summary>
/// <param name="Name">Hook name of the node's output (module path), or "op#index" for an unnamed op.</param>
/// <param name="Op">Tape op, e.g. "conv2d".</param>
/// <param name="Rule">The rule applied ("gradient" when none).</param>
/// <param name="RelevanceIn">Σ relevance at the node's output (after any CRP mask).</param>
/// <param name="RelevanceOut">Σ relevance handed to its inputs.</param>
public sealed record LayerConservation(string Name, string Op, string Rule, double RelevanceIn, double RelevanceOut)
{
    /// <summary>RelevanceIn − RelevanceOut: absorbed by biases and stabilisers (positive) or created (negative).</summary>
    public double Leak => RelevanceIn - RelevanceOut;

    /// <summary>|Leak| relative to |RelevanceIn| (0 when nothing came in).</summary>
    public double RelativeLeak => RelevanceIn == 0 ? 0 : Math.Abs(Leak) / Math.Abs(RelevanceIn);
}
