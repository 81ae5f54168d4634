// Light augmentation for small images, as torchvision's RandomCrop(size, padding=p) (zero padding) followed by
// RandomHorizontalFlip(0.5). Reference: https://pytorch.org/vision/0.14/transforms.html

namespace Unravel.Models.Training;

/// <summary>Random crop with zero padding and optional horizontal flip; the identity with the defaults.</summary>
public sealed record ImageAugmentation
{
    /// <summary>p: pad every side by p zeros, then crop back to H×W at a uniform offset in [0, 2p]².</summary>
    public int CropPadding { get; init; }

    /// <summary>Mirror left-right with probability 1/2.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>Writes the augmented <paramref name="source"/> [C, H, W] into <paramref name="destination"/>.</summary>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width, TrainingRandom rng)
    {
        int dy = 0, dx = 0;
        if (CropPadding > 0)
        {
            dy = rng.NextInt(2 * CropPadding + 1) - CropPadding;
            dx = rng.NextInt(2 * CropPadding + 1) - CropPadding;
        }
        bool flip = HorizontalFlip && rng.NextInt(2) == 1;
        if (dy == 0 && dx == 0 && !flip)
        {
            source[..(channels * height * width)].CopyTo(destination);
            return;
        }
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
            {
                int sy = y + dy;
                Span<float> row = destination.Slice((c * height + y) * width, width);
                if ((uint)sy >= (uint)height) { row.Clear(); continue; }
                ReadOnlySpan<float> src = source.Slice((c * height + sy) * width, width);
                for (int x = 0; x < width; x++)
                {
                    int sx = (flip ? width - 1 - x : x) + dx;
                    row[x] = (uint)sx < (uint)width ? src[sx] : 0f;
                }
            }
    }
}
