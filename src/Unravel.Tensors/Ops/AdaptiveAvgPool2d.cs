// Adaptive 2-D average pooling over NCHW, matching torch.nn.functional.adaptive_avg_pool2d: output cell i averages
// input rows [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉) (columns alike), so windows may overlap when H is not a multiple of OH.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Adaptive average pooling to a square output, as torch.nn.functional.adaptive_avg_pool2d.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="outputSize">Output height and width.</param>
    /// <returns>[N, C, outputSize, outputSize].</returns>
    /// <exception cref="ArgumentException">The input is not rank 4 or the output size is not positive.</exception>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outputSize) => AdaptiveAvgPool2d(x, (outputSize, outputSize));

    /// <summary>Adaptive average pooling to (outH, outW), as torch.nn.functional.adaptive_avg_pool2d.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="outputSize">Output (height, width).</param>
    /// <returns>[N, C, outH, outW].</returns>
    /// <remarks>Effectively computes y[n, c, i, j] = mean of x[n, c, ⌊i·H/outH⌋ .. ⌈(i+1)·H/outH⌉, ⌊j·W/outW⌋ .. ⌈(j+1)·W/outW⌉).</remarks>
    /// <exception cref="ArgumentException">The input is not rank 4, has an empty plane, or the output size is not positive.</exception>
    public static Tensor AdaptiveAvgPool2d(Tensor x, (int H, int W) outputSize)
    {
        using KernelTimer timer = KernelTimer.Begin("pooling", x);
        if (x.Rank != 4)
            throw new ArgumentException($"adaptive_avg_pool2d: input must be [N, C, H, W], got {x.ShapeString}.", nameof(x));
        if (outputSize.H < 1 || outputSize.W < 1 || x.Dim(2) < 1 || x.Dim(3) < 1)
            throw new ArgumentException(
                $"adaptive_avg_pool2d: output size {outputSize} must be positive and the input {x.ShapeString} must have non-empty planes.", nameof(outputSize));
        int h = x.Dim(2), w = x.Dim(3);
        (int oh, int ow) = outputSize;
        Tensor y = TensorStorage.Uninitialized(x.Dim(0), x.Dim(1), oh, ow);
        Parallelism.For(x.Dim(0) * x.Dim(1), Pool2dRules.MinPlanesPerChunk, (start, end) =>
            Pool2dKernels.AdaptiveAvgPool2d(x.Data, y.Data, h, w, oh, ow, start, end));
        Tape.Of(x)?.Record("adaptive_avg_pool2d", y, [x], AdaptiveAvgPool2dBackward);
        return y;
    }

    private static void AdaptiveAvgPool2dBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (!grads.Wants(x)) return;
        Tensor dx = grads.For(x);
        int h = x.Dim(2), w = x.Dim(3), oh = dy.Dim(2), ow = dy.Dim(3);
        Parallelism.For(x.Dim(0) * x.Dim(1), Pool2dRules.MinPlanesPerChunk, (start, end) =>
            Pool2dKernels.AdaptiveAvgPool2dBackward(dy.Data, dx.Data, h, w, oh, ow, start, end));
    }
}
