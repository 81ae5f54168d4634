// Log-softmax along one axis (torch.log_softmax), computed directly as x - max - log Σ exp(x - max) so it stays
// finite where softmax underflows. Backward: dx = dy - exp(y) · Σ_axis dy, from the saved output.
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.functional.log_softmax.html

using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Log-softmax of <paramref name="x"/> along <paramref name="axis"/> (negative counts from the end).</summary>
    /// <remarks>Effectively computes y = x - max - log Σ_axis exp(x - max). A scalar is treated as one element.</remarks>
    /// <exception cref="ArgumentException">The axis is out of range.</exception>
    public static Tensor LogSoftmax(Tensor x, int axis = -1)
    {
        (int outer, int dim, int inner) = SoftmaxSplit(x, axis, "log_softmax");
        Tensor y = Tensor.Zeros(x.Shape.ToArray());
        Kernels.LogSoftmax.Forward(x.Data, y.Data, outer, dim, inner);
        Tape.Of(x)?.Record("log_softmax", y, [x], LogSoftmaxBackward, new SoftmaxState(outer, dim, inner));
        return y;
    }

    private static void LogSoftmaxBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (!grads.Wants(x)) return;
        var s = (SoftmaxState)node.State!;
        Kernels.LogSoftmax.Backward(node.Output.Data, dy.Data, grads.For(x).Data, s.Outer, s.Dim, s.Inner);
    }
}
