// Batch normalisation over NCHW, matching torch.nn.functional.batch_norm for 4-D input.
//   y = (x − mean) / √(var + eps) · weight + bias, per channel.
// Training: mean and biased var come from the batch (over N, H, W), and the running stats are updated in place with
// the unbiased var (var · M / (M − 1), M = N·H·W), as PyTorch does. Inference: the running stats are used.
// Backward (x, weight, bias): through the batch statistics in training, with them fixed in inference.
// Reference: Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Batch normalisation of an NCHW batch, as torch.nn.functional.batch_norm.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="weight">[C], the scale γ.</param>
    /// <param name="bias">[C], the shift β.</param>
    /// <param name="runningMean">[C]; read in inference, updated in place in training.</param>
    /// <param name="runningVar">[C]; read in inference, updated in place (with the unbiased batch variance) in training.</param>
    /// <param name="training">Normalise with batch statistics and update the running ones.</param>
    /// <param name="momentum">Running-stat update rate: running = (1 − momentum) · running + momentum · batch.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <returns>[N, C, H, W].</returns>
    /// <remarks>Effectively computes y[n, c, h, w] = (x[n, c, h, w] − μ[c]) / √(σ²[c] + eps) · weight[c] + bias[c], with μ, σ²
    /// the batch mean and biased variance in training, the running ones otherwise. The running stats are not differentiated.</remarks>
    /// <exception cref="ArgumentException">The input is not rank 4, a parameter is not [C], or training has one value per channel.</exception>
    public static Tensor BatchNorm2d(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, bool training,
        float momentum = 0.1f, float eps = 1e-5f)
    {
        using KernelTimer timer = KernelTimer.Begin("elementwise", x);
        BatchNorm2dShape(x, weight, bias, runningMean, runningVar, training);
        int n = x.Dim(0), c = x.Dim(1), hw = x.Dim(2) * x.Dim(3);
        var mean = new float[c];
        var rstd = new float[c];
        var scale = new float[c];
        var shift = new float[c];
        Tensor y = TensorStorage.Uninitialized(x.Shape.ToArray());
        // Statistics first (parallel over channels), then the running-stat update and the affine fold, then y.
        if (training)
        {
            var variance = new float[c];
            Parallelism.For(c, 1, (start, end) => BatchNorm2dKernels.Statistics(x.Data, mean, variance, n, c, hw, start, end));
            float unbias = n * hw / (float)(n * hw - 1);
            Span<float> rm = runningMean.Data, rv = runningVar.Data;
            for (int ch = 0; ch < c; ch++)
            {
                rstd[ch] = 1f / MathF.Sqrt(variance[ch] + eps);
                rm[ch] = (1f - momentum) * rm[ch] + momentum * mean[ch];
                rv[ch] = (1f - momentum) * rv[ch] + momentum * variance[ch] * unbias;
            }
        }
        else
        {
            ReadOnlySpan<float> rm = runningMean.Data, rv = runningVar.Data;
            for (int ch = 0; ch < c; ch++)
            {
                mean[ch] = rm[ch];
                rstd[ch] = 1f / MathF.Sqrt(rv[ch] + eps);
            }
        }
        ReadOnlySpan<float> w = weight.Data, b = bias.Data;
        for (int ch = 0; ch < c; ch++)
        {
            scale[ch] = w[ch] * rstd[ch];
            shift[ch] = b[ch] - mean[ch] * scale[ch];
        }
        Parallelism.For(c, 1, (start, end) => BatchNorm2dKernels.Normalize(x.Data, scale, shift, y.Data, n, c, hw, start, end));
        Tape.Of([x, weight, bias])?.Record("batch_norm2d", y, [x, weight, bias], BatchNorm2dBackward, new BatchNorm2dState(mean, rstd, training));
        return y;
    }

    /// <summary>The mean and 1/√(var + eps) the forward used (copies, so later running-stat updates do not leak in).</summary>
    private sealed record BatchNorm2dState(float[] Mean, float[] Rstd, bool BatchStatistics);

    private static void BatchNorm2dBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0], weight = node.Inputs[1], bias = node.Inputs[2];
        var state = (BatchNorm2dState)node.State!;
        int n = x.Dim(0), c = x.Dim(1), hw = x.Dim(2) * x.Dim(3);
        Tensor? dWeight = grads.Wants(weight) ? grads.For(weight) : null;
        Tensor? dBias = grads.Wants(bias) ? grads.For(bias) : null;
        bool fresh = false;
        // Eval mode with only the input gradient wanted writes dx = dy · (weight · rstd) in place into dy when the walk
        // lets x take dy's buffer, else into a new one.
        bool inPlace = !state.BatchStatistics && dWeight is null && dBias is null && grads.Wants(x) && grads.TryAdopt(x, dy);
        Tensor? dx = inPlace ? dy : grads.Wants(x) ? grads.ForWrite(x, out fresh) : null;
        fresh |= inPlace;
        if (fresh && !state.BatchStatistics && dWeight is null && dBias is null)
        {
            // Eval-mode input gradient into a new buffer: dx = dy · (weight · rstd), one write pass.
            Parallelism.For(c, 1, (start, end) =>
            {
                for (int b = 0; b < n; b++)
                    for (int ch = start; ch < end; ch++)
                    {
                        int offset = (b * c + ch) * hw;
                        System.Numerics.Tensors.TensorPrimitives.Multiply(dy.Data.Slice(offset, hw), weight.Data[ch] * state.Rstd[ch], dx!.Data.Slice(offset, hw));
                    }
            });
            return;
        }
        if (fresh) dx!.Data.Clear();
        Parallelism.For(c, 1, (start, end) => BatchNorm2dKernels.Backward(dy.Data, x.Data, state.Mean, state.Rstd, weight.Data,
            dx is null ? default : dx.Data, dWeight is null ? default : dWeight.Data, dBias is null ? default : dBias.Data,
            n, c, hw, state.BatchStatistics, start, end));
    }

    /// <summary>Shape rule: x is [N, C, H, W] and every per-channel tensor is [C].</summary>
    private static void BatchNorm2dShape(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, bool training)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"batch_norm2d: input must be [N, C, H, W], got {x.ShapeString}.", nameof(x));
        int c = x.Dim(1);
        foreach ((Tensor t, string name) in new[] { (weight, "weight"), (bias, "bias"), (runningMean, "runningMean"), (runningVar, "runningVar") })
            if (t.Rank != 1 || t.Dim(0) != c)
                throw new ArgumentException($"batch_norm2d: {name} {t.ShapeString} must be [{c}] for input {x.ShapeString}.", name);
        if (training && x.Dim(0) * x.Dim(2) * x.Dim(3) <= 1)
            throw new ArgumentException($"batch_norm2d: training needs more than one value per channel, got input {x.ShapeString}.", nameof(x));
    }
}
