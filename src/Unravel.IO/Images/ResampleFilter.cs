// Resampling filters of Pillow's Image.resize that ImageTransforms reproduces exactly.

namespace Unravel.IO.Images;

/// <summary>Resampling filter for <see cref="ImageTransforms.Resize"/>.</summary>
public enum ResampleFilter
{
    /// <summary>Triangle filter, support 1 scaled by the reduction factor (Pillow BILINEAR; torchvision's
    /// default for Resize on PIL images).</summary>
    Bilinear,

    /// <summary>Keys cubic with a = -0.5, support 2 scaled by the reduction factor (Pillow BICUBIC).</summary>
    Bicubic,
}
