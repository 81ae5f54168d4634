// Runs an elementwise span kernel over a tensor in contiguous chunks on Parallelism's threads. Elementwise
// kernels are position independent, so the result is the same for any chunking.

namespace Unravel.Tensors;

/// <summary>y = f(x) for one contiguous span.</summary>
internal delegate void ElementwiseKernel(ReadOnlySpan<float> x, Span<float> y);

/// <summary>dx += dy · f'(v) for one contiguous span.</summary>
internal delegate void ElementwiseBackwardKernel(ReadOnlySpan<float> dy, ReadOnlySpan<float> v, Span<float> dx);

internal static class ElementwiseParallel
{
    /// <summary>Below this many elements per chunk the thread hand-off costs more than it saves.</summary>
    public const int MinPerChunk = 32 * 1024;

    public static void Run(ElementwiseKernel kernel, Tensor x, Tensor y) =>
        Parallelism.For(x.Length, MinPerChunk, (start, end) => kernel(x.Data[start..end], y.Data[start..end]));

    public static void Run(ElementwiseBackwardKernel kernel, Tensor dy, Tensor v, Tensor dx) =>
        Parallelism.For(dy.Length, MinPerChunk, (start, end) => kernel(dy.Data[start..end], v.Data[start..end], dx.Data[start..end]));

    /// <summary>dst = src (fresh) or dst += src, same lengths, over the threads (a residual's gradient is one full-size
    /// pass; single-threaded it was a serial stretch in every ResNet backward).</summary>
    public static void CopyOrAdd(Tensor src, Tensor dst, bool fresh) =>
        Parallelism.For(src.Length, MinPerChunk, (start, end) =>
        {
            if (fresh) src.Data[start..end].CopyTo(dst.Data[start..end]);
            else System.Numerics.Tensors.TensorPrimitives.Add(dst.Data[start..end], src.Data[start..end], dst.Data[start..end]);
        });
}
