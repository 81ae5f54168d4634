// The residual-stage building blocks of torchvision's ResNet, plus the skip-less block of the small plain CNN.

namespace Unravel.Models.Vision;

/// <summary>Which block a <see cref="ResNetStage"/> is made of.</summary>
public enum ResNetBlockKind
{
    /// <summary>Two 3×3 convolutions and a skip (ResNet-18/34); expansion 1.</summary>
    Basic,

    /// <summary>1×1, 3×3 (strided, v1.5), 1×1 convolutions and a skip (ResNet-50/101/152); expansion 4.</summary>
    Bottleneck,

    /// <summary>One 3×3 convolution, no skip (the plain small CNN); expansion 1.</summary>
    Plain,
}
