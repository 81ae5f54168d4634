// Layer normalisation over the trailing dimension(s) (torch.nn.functional.layer_norm), on the row kernels of
// Kernels/LayerNorm.cs: the input is viewed as [rows, cols] with cols the product of the normalised dimensions.
// The forward keeps per-row mean and rstd for the backward.
// Reference: Ba et al. 2016, https://arxiv.org/abs/1607.06450

using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Layer norm of <paramref name="x"/> over its last <paramref name="normalizedDims"/> dimensions
    /// (default: the last one, as GPT-2 uses it), with optional elementwise affine weight and bias.</summary>
    /// <param name="x">[..., C] (or [..., *normalized_shape]).</param>
    /// <param name="weight">Scale with the normalised shape ([C]), or null for ones.</param>
    /// <param name="bias">Shift with the normalised shape ([C]), or null for zeros.</param>
    /// <param name="eps">Added to the biased variance.</param>
    /// <param name="normalizedDims">How many trailing dimensions form torch's normalized_shape.</param>
    /// <remarks>Effectively computes y = (x - mean) / sqrt(var + eps) · weight + bias, mean and biased var taken over
    /// the normalised dimensions.</remarks>
    /// <exception cref="ArgumentException">x has fewer than <paramref name="normalizedDims"/> dimensions, or weight or
    /// bias does not have the normalised shape.</exception>
    public static Tensor LayerNorm(Tensor x, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f, int normalizedDims = 1)
    {
        using KernelTimer timer = KernelTimer.Begin("layer norm", x);
        if (normalizedDims < 1 || x.Rank < normalizedDims)
            throw new ArgumentException(
                $"layer_norm: cannot normalise the last {normalizedDims} dimension(s) of input {x.ShapeString}.", nameof(normalizedDims));
        ReadOnlySpan<int> normShape = x.Shape[^normalizedDims..];
        LayerNormCheckAffine(x, weight, normShape, nameof(weight));
        LayerNormCheckAffine(x, bias, normShape, nameof(bias));
        int cols = ShapeRules.Count(normShape), rows = ShapeRules.Count(x.Shape[..^normalizedDims]);

        Tensor y = TensorStorage.Uninitialized(x.Shape.ToArray());
        var state = new LayerNormState(new float[rows], new float[rows], cols);
        Kernels.LayerNorm.Forward(x.Data, weight is null ? default : weight.Data, bias is null ? default : bias.Data,
            y.Data, state.Mean, state.Rstd, rows, cols, eps);

        Tensor[] inputs = [x, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        Tape.Of(inputs)?.Record("layer_norm", y, inputs, LayerNormBackward,
            state with { HasWeight = weight is not null, HasBias = bias is not null });
        return y;
    }

    private static void LayerNormBackward(Node node, Tensor dy, GradStore grads)
    {
        var s = (LayerNormState)node.State!;
        Tensor x = node.Inputs[0];
        Tensor? weight = s.HasWeight ? node.Inputs[1] : null;
        Tensor? bias = s.HasBias ? node.Inputs[s.HasWeight ? 2 : 1] : null;
        Span<float> dx = grads.Wants(x) ? grads.For(x).Data : default;
        Span<float> dWeight = weight is not null && grads.Wants(weight) ? grads.For(weight).Data : default;
        Span<float> dBias = bias is not null && grads.Wants(bias) ? grads.For(bias).Data : default;
        if (dx.IsEmpty && dWeight.IsEmpty && dBias.IsEmpty) return;
        Kernels.LayerNorm.Backward(dy.Data, x.Data, weight is null ? default : weight.Data, s.Mean, s.Rstd,
            dx, dWeight, dBias, s.Mean.Length, s.Cols);
    }

    private static void LayerNormCheckAffine(Tensor x, Tensor? p, ReadOnlySpan<int> normShape, string name)
    {
        if (p is not null && !p.Shape.SequenceEqual(normShape))
            throw new ArgumentException(
                $"layer_norm: {name} {p.ShapeString} does not match the normalised shape {ShapeRules.Format(normShape)} of input {x.ShapeString}.", name);
    }

    /// <summary>Per-row statistics saved by the forward.</summary>
    private sealed record LayerNormState(float[] Mean, float[] Rstd, int Cols)
    {
        public bool HasWeight { get; init; }
        public bool HasBias { get; init; }
    }
}
