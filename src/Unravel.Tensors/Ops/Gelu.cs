// GELU (Hendrycks & Gimpel 2016, arXiv:1606.08415), exact (erf) or tanh-approximated, as torch.nn.functional.gelu.
// dx += dy · GELU'(x); the kernels are in Kernels/Activations.cs.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Gaussian error linear unit, elementwise; any shape.</summary>
    /// <param name="x">Input of any shape.</param>
    /// <param name="approximation"><see cref="GeluApproximation.Erf"/> (default, exact) or <see cref="GeluApproximation.Tanh"/>.</param>
    /// <remarks>Effectively computes y = x · Φ(x), or ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))) for the tanh form.</remarks>
    /// <exception cref="ArgumentException"><paramref name="approximation"/> is not a defined value.</exception>
    public static Tensor Gelu(Tensor x, GeluApproximation approximation = GeluApproximation.Erf)
    {
        using KernelTimer timer = KernelTimer.Begin("gelu", x);
        ElementwiseKernel kernel = approximation switch
        {
            GeluApproximation.Erf => Activations.GeluErf,
            GeluApproximation.Tanh => Activations.GeluTanh,
            _ => throw new ArgumentException($"gelu: unknown approximation {approximation} for input {x.ShapeString}.", nameof(approximation)),
        };
        Tensor y = TensorStorage.Uninitialized(x.Shape.ToArray());
        ElementwiseParallel.Run(kernel, x, y);
        Tape.Of(x)?.Record("gelu", y, [x], GeluBackward, approximation);
        return y;
    }

    private static void GeluBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (!grads.Wants(x)) return;
        ElementwiseBackwardKernel kernel = (GeluApproximation)node.State! == GeluApproximation.Tanh
            ? Activations.GeluTanhBackward
            : Activations.GeluErfBackward;
        ElementwiseParallel.Run(kernel, dy, x, grads.For(x));
    }
}
