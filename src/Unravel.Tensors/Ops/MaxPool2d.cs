// 2-D max pooling over NCHW, matching torch.nn.functional.max_pool2d (padding as −∞, dilation, ceil mode).
// Forward keeps the argmax of every window; backward routes dy to it: dx[argmax] += dy.

using System.Buffers;
using System.Runtime.InteropServices;
using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Max pooling with square windows, as torch.nn.functional.max_pool2d.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="kernel">Window size.</param>
    /// <param name="stride">Step between windows; the kernel size when null (torch's default).</param>
    /// <param name="padding">Implicit −∞ border, at most kernel / 2.</param>
    /// <param name="dilation">Spacing between window taps.</param>
    /// <param name="ceilMode">Round the output size up, so a last partial window is kept.</param>
    /// <returns>[N, C, OH, OW].</returns>
    /// <exception cref="ArgumentException">The input is not rank 4, or the window does not fit.</exception>
    public static Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        MaxPool2d(x, (kernel, kernel), (stride ?? kernel, stride ?? kernel), (padding, padding), (dilation, dilation), ceilMode);

    /// <summary>Max pooling with (height, width) windows, as torch.nn.functional.max_pool2d.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="kernel">Window size.</param>
    /// <param name="stride">Step between windows; the kernel size when null.</param>
    /// <param name="padding">Implicit −∞ border, at most half the kernel; (0, 0) when null.</param>
    /// <param name="dilation">Spacing between window taps; (1, 1) when null.</param>
    /// <param name="ceilMode">Round the output size up, so a last partial window is kept.</param>
    /// <returns>[N, C, OH, OW] with OH = ⌊(H + 2·padH − dilationH·(KH − 1) − 1) / strideH⌋ + 1 (⌈⌉ in ceil mode; OW alike).</returns>
    /// <remarks>Effectively computes y[n, c, i, j] = max over the window of x, a tie going to the first element and NaN
    /// propagating; the gradient flows only to that element.</remarks>
    /// <exception cref="ArgumentException">The input is not rank 4, or the window does not fit.</exception>
    public static Tensor MaxPool2d(Tensor x, (int H, int W) kernel, (int H, int W)? stride = null, (int H, int W)? padding = null,
        (int H, int W)? dilation = null, bool ceilMode = false)
    {
        using KernelTimer timer = KernelTimer.Begin("pooling", x);
        Pool2dGeometry g = Pool2dRules.Geometry("max_pool2d", x, kernel, stride ?? kernel, padding ?? (0, 0), dilation ?? (1, 1), ceilMode);
        int planes = x.Dim(0) * x.Dim(1);
        Tensor y = TensorStorage.Uninitialized(x.Dim(0), x.Dim(1), g.OutH, g.OutW);
        // The argmax is kept only for a recording tape; inference computes the values alone (a SIMD pass over rows).
        Tape? tape = Tape.Of(x);
        if (tape is null)
        {
            Parallelism.For(planes, Pool2dRules.MinPlanesPerChunk, (start, end) =>
            {
                float[] row = ArrayPool<float>.Shared.Rent(2 * g.Width + 2);
                Pool2dKernels.MaxPool2dValues(x.Data, y.Data, row, g, start, end);
                ArrayPool<float>.Shared.Return(row);
            });
            return y;
        }
        // The argmax indices live in a float tensor's storage (reinterpreted as int), so that inside an ArenaScope they
        // are reused from batch to batch like every other buffer of the pass.
        Tensor indices = TensorStorage.Uninitialized(y.Length);
        Parallelism.For(planes, Pool2dRules.MinPlanesPerChunk, (start, end) =>
        {
            int[] windows = ArrayPool<int>.Shared.Rent(2 * g.OutW);
            Pool2dKernels.MaxPool2dRows(x.Data, y.Data, MemoryMarshal.Cast<float, int>(indices.Data), windows, g, start, end);
            ArrayPool<int>.Shared.Return(windows);
        });
        tape.Record("max_pool2d", y, [x], MaxPool2dBackward, new MaxPool2dState(g, indices));
        return y;
    }

    /// <summary>The geometry and, per output element, the flat argmax within its input plane (int bits in a float tensor).</summary>
    private sealed record MaxPool2dState(Pool2dGeometry Geometry, Tensor Indices);

    private static void MaxPool2dBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (!grads.Wants(x)) return;
        var state = (MaxPool2dState)node.State!;
        Tensor dx = grads.For(x);
        Parallelism.For(x.Dim(0) * x.Dim(1), Pool2dRules.MinPlanesPerChunk, (start, end) =>
            Pool2dKernels.MaxPool2dBackward(dy.Data, MemoryMarshal.Cast<float, int>(state.Indices.Data), dx.Data, state.Geometry, start, end));
    }
}
