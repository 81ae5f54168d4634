// Input validation shared by the image classifiers: a clear message before the first convolution sees the tensor.

namespace Unravel.Models.Vision;

internal static class ImageInput
{
    /// <exception cref="ArgumentException">Not [N, channels, H, W] with N, H, W ≥ 1.</exception>
    public static void Check(string model, Tensor images, int channels)
    {
        if (images.Rank != 4 || images.Dim(1) != channels || images.Dim(0) < 1 || images.Dim(2) < 1 || images.Dim(3) < 1)
            throw new ArgumentException(
                $"{model}: input {images.ShapeString} must be [N, {channels}, H, W] (NCHW images with {channels} channels).",
                nameof(images));
    }
}
