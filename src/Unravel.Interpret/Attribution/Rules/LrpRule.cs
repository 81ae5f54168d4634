// LRP rules are backward substitutions (zennit's design): a rule replaces one tape node's backward and maps the
// relevance at the node's output to relevance at its inputs. Affine rules act on convolution/dense layers; node rules
// (Norm, Pass) on parameter-free ops. Reference: Montavon et al. 2019, "Layer-Wise Relevance Propagation: An Overview",
// https://doi.org/10.1007/978-3-030-28954-6_10; zennit, Anders et al. 2021, https://arxiv.org/abs/2106.13200.

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>A relevance propagation rule.</summary>
public abstract class LrpRule
{
    /// <summary>Short name used in reports, e.g. "epsilon(1e-06)".</summary>
    public abstract string Name { get; }

    public override string ToString() => Name;
}
