// The ways Ops.Conv2d can compute a convolution; Auto applies the measured selection rule in Ops/Conv2d.cs.

namespace Unravel.Tensors;

/// <summary>How <see cref="Ops.Conv2d(Tensor, Tensor, Tensor?, Conv2dOptions?)"/> computes its result.</summary>
internal enum Conv2dAlgorithm
{
    /// <summary>Pick by shape (see <c>Ops.Conv2dSelect</c>); the choice depends only on the shape, so results are reproducible.</summary>
    Auto,

    /// <summary>im2col per (image, group), then one GEMM.</summary>
    Im2ColGemm,

    /// <summary>im2col over column blocks of the whole batch (several small images per block, or parts of a large one),
    /// one GEMM per block (Ops/Conv2dBlocked.cs); also the input gradient. The default for non-depthwise convs.</summary>
    Blocked,

    /// <summary>A GEMM on the managed micro-kernels whose B panels are packed straight from the image (no im2col matrix;
    /// Kernels/Conv2dPacked.cs); also the input gradient. The default for non-depthwise convs on the managed GEMM.</summary>
    PackedGemm,

    /// <summary>Winograd F(2×2, 3×3) on the managed micro-kernels for 3×3 stride-1 convs (Kernels/Conv2dWinograd.cs); also the
    /// input gradient. The default for such convs with enough output tiles.</summary>
    Winograd,

    /// <summary>1×1 stride-1 unpadded: the input already is the im2col matrix, so one GEMM with no copy.</summary>
    Pointwise,

    /// <summary>Shift-and-add over kernel taps (<see cref="Kernels.Conv2dKernels.Direct"/>); wins for depthwise convs.</summary>
    Direct,
}
