// A convolution or dense layer as the LRP rules see it: its (possibly canonized, e.g. batch-norm-folded) weight and
// bias, and a way to evaluate it with modified inputs and parameters and pull a relevance ratio back through it.
// The pull-back reuses the op's own backward on a private tape (a transposed convolution / W^T GEMM), so every rule is
// "a few forwards with modified weights plus the same number of transposed ops" (zennit's BasicHook).

using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Attribution;

/// <summary>y = x * W + b (a 2-D convolution when <see cref="Convolution"/> is set, else a dense map).</summary>
public sealed class AffineLayer
{
    /// <param name="name">Module path, for messages and reports.</param>
    /// <param name="weight">Conv [O, C/groups, KH, KW] or dense [Out, In].</param>
    /// <param name="bias">[O], or null.</param>
    /// <param name="convolution">Convolution options, or null for a dense layer.</param>
    public AffineLayer(string name, Tensor weight, Tensor? bias, Conv2dOptions? convolution)
    {
        Name = name;
        Weight = weight.Detach();
        Bias = bias?.Detach();
        Convolution = convolution;
    }

    public string Name { get; }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    /// <summary>Null for a dense layer.</summary>
    public Conv2dOptions? Convolution { get; }

    /// <summary>Evaluates the layer with other inputs/parameters (untracked).</summary>
    public Tensor Forward(Tensor x, Tensor weight, Tensor? bias) =>
        Convolution is null ? Ops.Linear(x.Detach(), weight, bias) : Ops.Conv2d(x.Detach(), weight, bias, Convolution);

    /// <summary>Evaluates the layer at (x, weight, bias) and returns z with its vector-Jacobian product s ↦ Jᵀs
    /// (the gradient of ⟨z, s⟩ with respect to x; a transposed convolution / s·W).</summary>
    public (Tensor Z, Func<Tensor, Tensor> InputGradient) Linearize(Tensor x, Tensor weight, Tensor? bias)
    {
        var tape = new Tape();
        Tensor xs = tape.Watch(x.Detach());
        Tensor z = Convolution is null ? Ops.Linear(xs, weight, bias) : Ops.Conv2d(xs, weight, bias, Convolution);
        return (z, s =>
        {
            Tensor g = tape.Backward(z, s)[xs] ?? Tensor.Zeros(x.Shape.ToArray());
            tape.Dispose();
            return g;
        });
    }
}
