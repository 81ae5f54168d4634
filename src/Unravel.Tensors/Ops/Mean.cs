// Mean over axes (torch.mean(x, dim, keepdim)). y = Σ x / N; dx += dy / N broadcast over the reduced axes.

using System.Numerics.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Mean over <paramref name="axes"/> (negative axes count from the end; null = all axes).</summary>
    /// <param name="x">Input of any shape.</param>
    /// <param name="axes">Axes to reduce; null reduces all of them to a scalar of shape []. An empty array reduces nothing.</param>
    /// <param name="keepDim">Keep reduced axes as size 1.</param>
    /// <remarks>Effectively computes y[kept] = Σ_reduced x / N with N the number of reduced elements; N = 0 gives NaN,
    /// as in PyTorch.</remarks>
    /// <exception cref="ArgumentException">An axis is out of range or repeated.</exception>
    public static Tensor Mean(Tensor x, int[]? axes = null, bool keepDim = false)
    {
        ReducePlan plan = ReducePlan.Create(x.Shape, axes, keepDim, "mean");
        Tensor y = plan.Sum(x);
        TensorPrimitives.Divide(y.Data, (float)plan.Count, y.Data);
        Tape.Of(x)?.Record("mean", y, [x], MeanBackward, plan);
        return y;
    }

    private static void MeanBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        var plan = (ReducePlan)node.State!;
        if (grads.Wants(x)) plan.AccumulateBroadcast(dy, 1f / plan.Count, grads.For(x));
    }
}
