// 2-D average pooling over NCHW, matching torch.nn.functional.avg_pool2d (ceil mode, count_include_pad).
// Backward spreads dy / divisor evenly over each window.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Average pooling with square windows, as torch.nn.functional.avg_pool2d.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="kernel">Window size.</param>
    /// <param name="stride">Step between windows; the kernel size when null (torch's default).</param>
    /// <param name="padding">Implicit zero border, at most kernel / 2.</param>
    /// <param name="ceilMode">Round the output size up, so a last partial window is kept.</param>
    /// <param name="countIncludePad">Count padding zeros in the divisor (torch's default).</param>
    /// <returns>[N, C, OH, OW].</returns>
    /// <exception cref="ArgumentException">The input is not rank 4, or the window does not fit.</exception>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) =>
        AvgPool2d(x, (kernel, kernel), (stride ?? kernel, stride ?? kernel), (padding, padding), ceilMode, countIncludePad);

    /// <summary>Average pooling with (height, width) windows, as torch.nn.functional.avg_pool2d.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="kernel">Window size.</param>
    /// <param name="stride">Step between windows; the kernel size when null.</param>
    /// <param name="padding">Implicit zero border, at most half the kernel; (0, 0) when null.</param>
    /// <param name="ceilMode">Round the output size up, so a last partial window is kept.</param>
    /// <param name="countIncludePad">Count padding zeros in the divisor (torch's default).</param>
    /// <returns>[N, C, OH, OW] with OH = ⌊(H + 2·padH − KH) / strideH⌋ + 1 (⌈⌉ in ceil mode; OW alike).</returns>
    /// <remarks>Effectively computes y = Σ_window x / divisor, the divisor being the window clipped to the padded input
    /// when <paramref name="countIncludePad"/>, else the number of real input elements in it.</remarks>
    /// <exception cref="ArgumentException">The input is not rank 4, or the window does not fit.</exception>
    public static Tensor AvgPool2d(Tensor x, (int H, int W) kernel, (int H, int W)? stride = null, (int H, int W)? padding = null,
        bool ceilMode = false, bool countIncludePad = true)
    {
        Pool2dGeometry g = Pool2dRules.Geometry("avg_pool2d", x, kernel, stride ?? kernel, padding ?? (0, 0), (1, 1), ceilMode);
        Tensor y = Tensor.Zeros(x.Dim(0), x.Dim(1), g.OutH, g.OutW);
        Parallelism.For(x.Dim(0) * x.Dim(1), Pool2dRules.MinPlanesPerChunk, (start, end) =>
            Pool2dKernels.AvgPool2d(x.Data, y.Data, g, countIncludePad, start, end));
        Tape.Of(x)?.Record("avg_pool2d", y, [x], AvgPool2dBackward, new AvgPool2dState(g, countIncludePad));
        return y;
    }

    private sealed record AvgPool2dState(Pool2dGeometry Geometry, bool CountIncludePad);

    private static void AvgPool2dBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (!grads.Wants(x)) return;
        var state = (AvgPool2dState)node.State!;
        Tensor dx = grads.For(x);
        Parallelism.For(x.Dim(0) * x.Dim(1), Pool2dRules.MinPlanesPerChunk, (start, end) =>
            Pool2dKernels.AvgPool2dBackward(dy.Data, dx.Data, state.Geometry, state.CountIncludePad, start, end));
    }
}
