// LRP-flat (Lapuschkin et al. 2019, "Unmasking Clever Hans predictors", https://doi.org/10.1038/s41467-019-08987-4):
// relevance spread uniformly over the inputs connected to each output, R_i = Σ_j 1/n_j R_j (inputs and weights set to
// one, no bias; zero padding counts as unconnected).

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution.Rules;

/// <summary>LRP-flat: uniform redistribution over each output's receptive field.</summary>
/// <param name="stabilizer">Denominator stabiliser.</param>
public sealed class FlatRule(float stabilizer = Stabilizer.DefaultEpsilon) : AffineRule
{
    public float StabilizerEpsilon { get; } = stabilizer;

    public override string Name => "flat";

    /// <inheritdoc/>
    public override Tensor Propagate(AffineLayer layer, Tensor x, Tensor relevance)
    {
        (Tensor z, Func<Tensor, Tensor> vjp) = layer.Linearize(Elementwise.OnesLike(x), Elementwise.OnesLike(layer.Weight), null);
        return vjp(Stabilizer.Divide(relevance, z, StabilizerEpsilon));
    }
}
