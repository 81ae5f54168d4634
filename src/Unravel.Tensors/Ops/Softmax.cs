// Softmax along one axis (torch.softmax). The tensor is seen as [outer, dim, inner] around the axis, so any axis
// runs through the same kernel (Kernels/Softmax.cs). Backward: dx = y ⊙ (dy - Σ_axis dy ⊙ y), from the saved output.
// Special values follow torch: a slice holding +Inf or NaN, or only -Inf, is all NaN.
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.functional.softmax.html

using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Softmax of <paramref name="x"/> along <paramref name="axis"/> (negative counts from the end).</summary>
    /// <remarks>Effectively computes y = exp(x - max) / Σ_axis exp(x - max). A scalar is treated as one element.</remarks>
    /// <exception cref="ArgumentException">The axis is out of range.</exception>
    public static Tensor Softmax(Tensor x, int axis = -1)
    {
        (int outer, int dim, int inner) = SoftmaxSplit(x, axis, "softmax");
        Tensor y = Tensor.Zeros(x.Shape.ToArray());
        Kernels.Softmax.Forward(x.Data, y.Data, outer, dim, inner);
        Tape.Of(x)?.Record("softmax", y, [x], SoftmaxBackward, new SoftmaxState(outer, dim, inner));
        return y;
    }

    private static void SoftmaxBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (!grads.Wants(x)) return;
        var s = (SoftmaxState)node.State!;
        Kernels.Softmax.Backward(node.Output.Data, dy.Data, grads.For(x).Data, s.Outer, s.Dim, s.Inner);
    }

    /// <summary>The [outer, dim, inner] view of <paramref name="x"/> around <paramref name="axis"/>; shared with LogSoftmax.</summary>
    private static (int Outer, int Dim, int Inner) SoftmaxSplit(Tensor x, int axis, string op)
    {
        if (x.Rank == 0)
        {
            if (axis is not (0 or -1))
                throw new ArgumentException($"{op}: axis {axis} is out of range for a scalar (shape {x.ShapeString}).", nameof(axis));
            return (1, 1, 1);
        }
        int a;
        try { a = ShapeRules.NormalizeAxis(axis, x.Rank, op); }
        catch (ArgumentException)
        {
            throw new ArgumentException($"{op}: axis {axis} is out of range for shape {x.ShapeString}.", nameof(axis));
        }
        ReadOnlySpan<int> s = x.Shape;
        return (ShapeRules.Count(s[..a]), s[a], Math.Max(1, ShapeRules.Count(s[(a + 1)..])));
    }

    /// <summary>Axis split saved for the softmax and log-softmax backward.</summary>
    private sealed record SoftmaxState(int Outer, int Dim, int Inner);
}
