// Sum over axes (torch.sum(x, dim, keepdim)). dx += dy broadcast back over the reduced axes.

using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Sum over <paramref name="axes"/> (negative axes count from the end; null = all axes).</summary>
    /// <param name="x">Input of any shape.</param>
    /// <param name="axes">Axes to reduce; null reduces all of them to a scalar of shape []. An empty array reduces
    /// nothing (NumPy semantics; torch 1.13 would reduce everything for dim=[]).</param>
    /// <param name="keepDim">Keep reduced axes as size 1.</param>
    /// <remarks>Effectively computes y[kept] = Σ_reduced x. An axis of size 0 sums to 0.</remarks>
    /// <exception cref="ArgumentException">An axis is out of range or repeated.</exception>
    public static Tensor Sum(Tensor x, int[]? axes = null, bool keepDim = false)
    {
        ReducePlan plan = ReducePlan.Create(x.Shape, axes, keepDim, "sum");
        Tensor y = plan.Sum(x);
        Tape.Of(x)?.Record("sum", y, [x], SumBackward, plan);
        return y;
    }

    private static void SumBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (grads.Wants(x)) ((ReducePlan)node.State!).AccumulateBroadcast(dy, 1f, grads.For(x));
    }
}
