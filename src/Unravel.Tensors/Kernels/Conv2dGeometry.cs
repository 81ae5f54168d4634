// The dimensions of one NCHW convolution, shared by the conv kernels and the Conv2d op.

namespace Unravel.Tensors.Kernels;

/// <summary>Sizes of a grouped, strided, padded, dilated 2-D convolution (letters N, C, H, W; O output channels).</summary>
/// <remarks>Weight layout is [O, C/Groups, KernelH, KernelW] as in PyTorch; <see cref="OutH"/> and <see cref="OutW"/>
/// follow torch: ⌊(H + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1.</remarks>
public readonly record struct Conv2dGeometry(
    int Batch, int Channels, int Height, int Width, int OutChannels, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Groups)
{
    public int OutH => (Height + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;

    public int OutW => (Width + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;

    /// <summary>Input channels per group (C / Groups).</summary>
    public int GroupChannels => Channels / Groups;

    /// <summary>Output channels per group (O / Groups).</summary>
    public int GroupOutChannels => OutChannels / Groups;

    /// <summary>Rows of one group's im2col matrix: C/Groups · KernelH · KernelW (the GEMM's inner dimension).</summary>
    public int ColRows => GroupChannels * KernelH * KernelW;

    /// <summary>Columns of the im2col matrix: OutH · OutW.</summary>
    public int ColCols => OutH * OutW;

    /// <summary>True for a 1×1, stride-1, unpadded conv: the input already is the im2col matrix.</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;

    /// <summary>True when every group holds one input channel (depthwise, any channel multiplier).</summary>
    public bool IsDepthwise => GroupChannels == 1 && Groups > 1;
}
