// Sigmoid: y = 1 / (1 + exp(-x)); dx += dy · y · (1 - y), computed from the saved output like PyTorch.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Logistic sigmoid, elementwise; any shape.</summary>
    /// <remarks>Effectively computes y = 1 / (1 + exp(-x)).</remarks>
    public static Tensor Sigmoid(Tensor x)
    {
        Tensor y = Tensor.Zeros(x.Shape.ToArray());
        ElementwiseParallel.Run(Activations.Sigmoid, x, y);
        Tape.Of(x)?.Record("sigmoid", y, [x], SigmoidBackward);
        return y;
    }

    private static void SigmoidBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (grads.Wants(x)) ElementwiseParallel.Run(Activations.SigmoidBackward, dy, node.Output, grads.For(x));
    }
}
