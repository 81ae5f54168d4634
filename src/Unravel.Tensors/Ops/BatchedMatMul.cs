// Batched matrix product with torch.bmm semantics: [B, M, K]·[B, K, N] → [B, M, N], no broadcasting.
// Shares the GEMM loop and the backward of MatMul (MatMul.cs).
// Reference: https://pytorch.org/docs/stable/generated/torch.bmm.html

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Batched matrix product of two 3-D tensors with the same batch size (torch.bmm).</summary>
    /// <remarks>Effectively computes y[b, i, j] = Σ_p a[b, i, p] · c[b, p, j] for a [B, M, K] and c = <paramref name="b"/> [B, K, N].</remarks>
    /// <exception cref="ArgumentException">An operand is not 3-D, the batch sizes differ, or the inner dimensions differ.</exception>
    public static Tensor BatchedMatMul(Tensor a, Tensor b)
    {
        if (a.Rank != 3 || b.Rank != 3)
            throw new ArgumentException($"bmm: both operands must be 3-D [B, M, K] and [B, K, N], got {a.ShapeString} and {b.ShapeString}.");
        if (a.Dim(0) != b.Dim(0))
            throw new ArgumentException($"bmm: batch sizes differ: a {a.ShapeString} and b {b.ShapeString}.");
        return MatMulBatched(a, b, "bmm");
    }
}
