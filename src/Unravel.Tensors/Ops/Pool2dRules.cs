// Argument checks and output sizes shared by MaxPool2d and AvgPool2d (torch's pool2d_shape_check).

using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

/// <summary>Validates a 2-D pooling call and returns its geometry; errors name the op and the input shape.</summary>
internal static class Pool2dRules
{
    public static Pool2dGeometry Geometry(string op, Tensor x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, bool ceilMode)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"{op}: input must be [N, C, H, W], got {x.ShapeString}.", nameof(x));
        if (kernel.H < 1 || kernel.W < 1 || stride.H < 1 || stride.W < 1 || dilation.H < 1 || dilation.W < 1 || padding.H < 0 || padding.W < 0)
            throw new ArgumentException(
                $"{op}: kernel {kernel}, stride {stride} and dilation {dilation} must be ≥ 1 and padding {padding} ≥ 0 (input {x.ShapeString}).");
        if (padding.H > kernel.H / 2 || padding.W > kernel.W / 2)
            throw new ArgumentException($"{op}: padding {padding} must be at most half the kernel {kernel} (input {x.ShapeString}).", nameof(padding));
        int h = x.Dim(2), w = x.Dim(3);
        int oh = Pool2dGeometry.OutputSize(h, kernel.H, stride.H, padding.H, dilation.H, ceilMode);
        int ow = Pool2dGeometry.OutputSize(w, kernel.W, stride.W, padding.W, dilation.W, ceilMode);
        if (oh < 1 || ow < 1)
            throw new ArgumentException(
                $"{op}: kernel {kernel} with dilation {dilation} and padding {padding} gives output {oh}×{ow} for input {x.ShapeString}.", nameof(kernel));
        return new Pool2dGeometry(h, w, oh, ow, kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W);
    }

    /// <summary>N·C planes of H×W: ops parallelise over planes, a few per chunk.</summary>
    public const int MinPlanesPerChunk = 4;
}
