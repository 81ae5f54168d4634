// How far the slow reference of PURE's circuits differentiates (Dreyer, Purelku et al. 2024, §3: one attribution per
// (neuron, reference)). Only the gradient at the lower layer enters the circuit; the other two modes time what a
// plain implementation also computes.

namespace Unravel.Interpret.Pure;

/// <summary>What <see cref="Circuits.ComputeNaive"/> differentiates besides the lower layer's activation.</summary>
public enum NaiveBackward
{
    /// <summary>Everything a plain PyTorch <c>model(x)</c> + <c>.backward()</c> computes: the parameters' gradients and
    /// the gradient down to the input image.</summary>
    Parameters,

    /// <summary>The gradient down to the input image, no parameter gradients.</summary>
    Input,

    /// <summary>The fair baseline: the tape starts at the lower layer, so the backward runs from the neuron to the lower
    /// layer only (no parameter gradients, nothing below the lower layer).</summary>
    LowerLayer,
}
