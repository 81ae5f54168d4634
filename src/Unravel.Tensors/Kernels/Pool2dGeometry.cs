// The dimensions of one 2-D pooling window sweep over an H×W plane, shared by the pooling kernels and ops.

namespace Unravel.Tensors.Kernels;

/// <summary>Plane size, output size and window of a max or average 2-D pooling.</summary>
/// <remarks>Output sizes come from <see cref="OutputSize"/> (torch's pooling_output_shape), so a window may hang over
/// the padded border in ceil mode.</remarks>
public readonly record struct Pool2dGeometry(
    int Height, int Width, int OutH, int OutW, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    /// <summary>torch's pooling_output_shape: ⌊(in + 2·pad − dilation·(k − 1) − 1 [+ stride − 1 in ceil mode]) / stride⌋ + 1,
    /// less one when in ceil mode the last window would start inside the right padding.</summary>
    public static int OutputSize(int input, int kernel, int stride, int padding, int dilation, bool ceilMode)
    {
        int numer = input + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
        int output = (int)Math.Floor(numer / (double)stride) + 1;
        if (ceilMode && (output - 1) * stride >= input + padding) output--;
        return output;
    }
}
