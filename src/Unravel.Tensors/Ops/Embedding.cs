// Embedding lookup (torch.nn.functional.embedding): rows of a [V, C] table gathered by integer indices.
// Backward scatter-adds dy rows into dWeight; repeated indices accumulate. Indices are not differentiable.
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.functional.embedding.html

using System.Numerics.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Gathers rows of <paramref name="weight"/> [V, C] at <paramref name="indices"/>; returns [*indexShape, C].</summary>
    /// <param name="indices">Row-major indices, each in [0, V).</param>
    /// <param name="indexShape">The shape of the index array, e.g. [B, T] for tokens.</param>
    /// <param name="weight">The [V, C] table.</param>
    /// <remarks>Effectively computes y[..., c] = weight[indices[...], c].</remarks>
    /// <exception cref="ArgumentException">weight is not 2-D, the index count does not fill indexShape, or an index is
    /// outside [0, V) (the message names the index, its position and V).</exception>
    public static Tensor Embedding(ReadOnlySpan<int> indices, int[] indexShape, Tensor weight)
    {
        using KernelTimer timer = KernelTimer.Begin("embedding", weight);
        if (weight.Rank != 2)
            throw new ArgumentException($"embedding: weight must be [V, C], got {weight.ShapeString}.", nameof(weight));
        ShapeRules.Validate(indexShape, "embedding");
        if (ShapeRules.Count(indexShape) != indices.Length)
            throw new ArgumentException(
                $"embedding: {indices.Length} indices cannot fill index shape {ShapeRules.Format(indexShape)} (weight {weight.ShapeString}).", nameof(indexShape));
        int vocab = weight.Dim(0), c = weight.Dim(1);
        for (int i = 0; i < indices.Length; i++)
            if ((uint)indices[i] >= (uint)vocab)
                throw new ArgumentException(
                    $"embedding: index {indices[i]} at position {i} is out of range for vocabulary size {vocab} (weight {weight.ShapeString}).", nameof(indices));

        Tensor y = TensorStorage.Uninitialized([.. indexShape, c]);
        ReadOnlySpan<float> w = weight.Data;
        Span<float> yd = y.Data;
        for (int i = 0; i < indices.Length; i++) w.Slice(indices[i] * c, c).CopyTo(yd.Slice(i * c, c));
        Tape.Of(weight)?.Record("embedding", y, [weight], EmbeddingBackward, indices.ToArray());
        return y;
    }

    private static void EmbeddingBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor weight = node.Inputs[0];
        if (!grads.Wants(weight)) return;
        var indices = (int[])node.State!;
        int c = weight.Dim(1);
        Tensor dWeight = grads.For(weight);
        // Column strips keep repeated indices race-free and the sums in index order for any thread count.
        Parallelism.For(c, 64, (c0, c1) =>
        {
            Span<float> dw = dWeight.Data;
            ReadOnlySpan<float> g = dy.Data;
            int w = c1 - c0;
            for (int i = 0; i < indices.Length; i++)
            {
                Span<float> row = dw.Slice(indices[i] * c + c0, w);
                TensorPrimitives.Add(row, g.Slice(i * c + c0, w), row);
            }
        });
    }
}
