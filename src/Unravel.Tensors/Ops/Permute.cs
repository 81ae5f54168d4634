// Permute: reorders axes with an explicit copy (tensors are always contiguous). dx += dy permuted back.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>A copy of <paramref name="x"/> with its axes reordered: output axis k is input axis dims[k].</summary>
    /// <param name="x">Input of any rank.</param>
    /// <param name="dims">A permutation of the axes; negative entries count from the end.</param>
    /// <remarks>Effectively computes torch.permute(x, dims).contiguous().</remarks>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of x's axes.</exception>
    public static Tensor Permute(Tensor x, params int[] dims)
    {
        PermutePlan plan = PermutePlan.Create(x.Shape, dims, "permute");
        Tensor y = Tensor.Zeros(plan.OutShape);
        PermuteRun(plan, x, y, accumulate: false);
        Tape.Of(x)?.Record("permute", y, [x], PermuteBackward, plan);
        return y;
    }

    private static void PermuteBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (grads.Wants(x)) PermuteRun((PermutePlan)node.State!, dy, grads.For(x), accumulate: true);
    }

    /// <summary>Forward: src = x, dst = y. Accumulate: src = dy, dst = dx. Rows are split across threads; every
    /// destination element belongs to exactly one row, so the scatter-add has no races.</summary>
    private static void PermuteRun(PermutePlan plan, Tensor src, Tensor dst, bool accumulate) =>
        Parallelism.For(plan.Rows, Math.Max(1, ElementwiseParallel.MinPerChunk / Math.Max(1, plan.Cols)),
            (r0, r1) => ShapeCopy.PermuteRows(src.Data, dst.Data, plan, r0, r1, accumulate));
}
