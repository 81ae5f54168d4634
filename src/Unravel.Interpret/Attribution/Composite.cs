// A composite maps layers to rules (zennit composites.py): the first convolution/dense layer, the other convolutions
// and the dense layers each get an affine rule; sums and average pools get Norm, activations and unfolded batch norms
// get Pass; every other op (max pool = winner-take-all, reshape, padding, dropout) keeps its gradient.
// "First" is the first convolution/dense node in execution order (zennit uses module-registration order; the two agree
// for every model here).

using Unravel.Interpret.Attribution.Rules;

namespace Unravel.Interpret.Attribution;

/// <summary>Which rule each layer kind gets.</summary>
/// <param name="Name">Registry name, e.g. "epsilon-plus-flat".</param>
/// <param name="First">Rule of the first convolution/dense layer.</param>
/// <param name="Convolution">Rule of the other convolutions.</param>
/// <param name="Dense">Rule of the other dense layers.</param>
public sealed record Composite(string Name, AffineRule First, AffineRule Convolution, AffineRule Dense)
{
    /// <summary>When true, <see cref="First"/> applies only if the first layer is a convolution (zennit's
    /// EpsilonGammaBox maps ZBox to convolutions only).</summary>
    public bool FirstConvolutionOnly { get; init; }

    /// <summary>Rule of residual sums marked by <see cref="ResidualSumCanonizer"/>.</summary>
    public NodeRule Sum { get; init; } = new NormRule();

    /// <summary>Rule of average pools (including adaptive/global ones).</summary>
    public NodeRule Pooling { get; init; } = new NormRule();

    /// <summary>Rule of elementwise activations.</summary>
    public NodeRule Activation { get; init; } = new PassRule();

    /// <summary>Rule of batch norms that no canonizer folded (zennit ≥ 0.5: Pass).</summary>
    public NodeRule BatchNorm { get; init; } = new PassRule();

    /// <summary>One rule for every convolution and dense layer (e.g. LRP-0 with <c>new EpsilonRule(0)</c>).</summary>
    public static Composite Uniform(AffineRule rule, string? name = null) => new(name ?? rule.Name, rule, rule, rule);

    public override string ToString() => $"{Name} (first {First}, conv {Convolution}, dense {Dense})";
}
