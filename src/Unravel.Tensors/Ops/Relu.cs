// ReLU: y = max(x, 0); dx += dy where x > 0 (the gradient at exactly 0 is 0, PyTorch's convention).

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Rectified linear unit, elementwise; any shape.</summary>
    /// <remarks>Effectively computes y = x &lt; 0 ? 0 : x (NaN propagates). See <see cref="Activations.Relu"/>.</remarks>
    public static Tensor Relu(Tensor x)
    {
        using KernelTimer timer = KernelTimer.Begin("elementwise", x);
        Tensor y = TensorStorage.Uninitialized(x.Shape.ToArray());
        ElementwiseParallel.Run(Activations.Relu, x, y);
        Tape.Of(x)?.Record("relu", y, [x], ReluBackward);
        return y;
    }

    private static void ReluBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (!grads.Wants(x)) return;
        if (grads.TryAdopt(x, dy))
        {
            ElementwiseParallel.Run(Activations.ReluBackwardOverwrite, dy, x, dy); // dx = dy · [x > 0] in place
            return;
        }
        Tensor dx = grads.ForWrite(x, out bool fresh);
        ElementwiseParallel.Run(fresh ? Activations.ReluBackwardOverwrite : Activations.ReluBackward, dy, x, dx);
    }
}
