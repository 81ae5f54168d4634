// Transpose: swaps two axes; a Permute with those two entries exchanged (its gradient comes from Permute).

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>A copy of <paramref name="x"/> with axes <paramref name="dim0"/> and <paramref name="dim1"/> swapped
    /// (negative axes count from the end).</summary>
    /// <remarks>Effectively computes torch.transpose(x, dim0, dim1).contiguous(). Recorded as a "permute" node.</remarks>
    /// <exception cref="ArgumentException">An axis is out of range.</exception>
    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        using KernelTimer timer = KernelTimer.Begin("copy", x);
        int rank = x.Rank;
        int a = dim0 < 0 ? dim0 + rank : dim0, b = dim1 < 0 ? dim1 + rank : dim1;
        if ((uint)a >= (uint)rank || (uint)b >= (uint)rank)
            throw new ArgumentException($"transpose: axes ({dim0}, {dim1}) are out of range for input {x.ShapeString} (rank {rank}).", nameof(dim0));
        int[] dims = new int[rank];
        for (int d = 0; d < rank; d++) dims[d] = d;
        (dims[a], dims[b]) = (b, a);
        return Permute(x, dims);
    }
}
