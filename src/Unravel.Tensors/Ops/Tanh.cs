// Tanh: y = tanh(x); dx += dy · (1 - y²), computed from the saved output like PyTorch.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Hyperbolic tangent, elementwise; any shape.</summary>
    /// <remarks>Effectively computes y = tanh(x).</remarks>
    public static Tensor Tanh(Tensor x)
    {
        Tensor y = Tensor.Zeros(x.Shape.ToArray());
        ElementwiseParallel.Run(Activations.Tanh, x, y);
        Tape.Of(x)?.Record("tanh", y, [x], TanhBackward);
        return y;
    }

    private static void TanhBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (grads.Wants(x)) ElementwiseParallel.Run(Activations.TanhBackward, dy, node.Output, grads.For(x));
    }
}
