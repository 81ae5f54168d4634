// A preprocessing recipe (convert, resize shorter side, centre crop, ToTensor, Normalize) with the standard
// ImageNet preset; equal to the torchvision Compose it names, including Pillow's convert("RGB") first.
// Reference: torchvision ImageNet evaluation transforms (Resize(256), CenterCrop(224), ToTensor,
// Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])).

using Unravel.Tensors;

namespace Unravel.IO.Images;

/// <summary>Turns images into model input tensors; see <see cref="ImageNet"/>.</summary>
public sealed record ImagePreprocessing
{
    /// <summary><c>convert("RGB")</c>, <c>Resize(256)</c>, <c>CenterCrop(224)</c>, <c>ToTensor()</c>,
    /// <c>Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])</c>: [3, 224, 224].</summary>
    public static ImagePreprocessing ImageNet { get; } = new();

    /// <summary>Target length of the shorter side; 0 skips the resize.</summary>
    public int ResizeTo { get; init; } = 256;

    /// <summary>Side of the square centre crop; 0 skips the crop.</summary>
    public int CropTo { get; init; } = 224;

    public ResampleFilter Filter { get; init; } = ResampleFilter.Bilinear;

    /// <summary>Convert to one gray channel (Pillow <c>convert("L")</c>) instead of RGB.</summary>
    public bool Grayscale { get; init; }

    /// <summary>Per-channel mean, one entry per output channel.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Per-channel standard deviation, one entry per output channel.</summary>
    public IReadOnlyList<float> Std { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>The preprocessed image as [C, H, W].</summary>
    /// <exception cref="ArgumentException">Mean/std do not match the channel count, or a std is zero.</exception>
    public Tensor Apply(Image image)
    {
        Image ready = Prepare(image);
        Tensor t = ImageTransforms.ToTensor(ready);  // [C, H, W]
        ImageTransforms.NormalizeInPlace(t.Data, ready.Channels, ready.Width * ready.Height, MeanSpan(ready.Channels), StdSpan(ready.Channels));
        return t;
    }

    /// <summary>A batch as [N, C, H, W].</summary>
    /// <exception cref="ArgumentException">The list is empty, or (with no crop) the images come out at different
    /// sizes.</exception>
    public Tensor ApplyBatch(IReadOnlyList<Image> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("ImagePreprocessing.ApplyBatch: no images.", nameof(images));
        Tensor? batch = null;
        int per = 0;
        for (int n = 0; n < images.Count; n++)
        {
            Image ready = Prepare(images[n]);
            if (batch is null)
            {
                batch = Tensor.Zeros(images.Count, ready.Channels, ready.Height, ready.Width);  // [N, C, H, W]
                per = ready.Pixels.Length;
            }
            else if (ready.Pixels.Length != per || batch.Dim(2) != ready.Height)
            {
                throw new ArgumentException(
                    $"ImagePreprocessing.ApplyBatch: image {n} becomes {ready.Channels}x{ready.Height}x{ready.Width}, " +
                    $"image 0 became {batch.Dim(1)}x{batch.Dim(2)}x{batch.Dim(3)}; set CropTo to batch images of different sizes.",
                    nameof(images));
            }
            ImageTransforms.WriteChw(ready, batch.Data.Slice(n * per, per));
        }
        ImageTransforms.NormalizeInPlace(batch!.Data, batch.Dim(1), batch.Dim(2) * batch.Dim(3), MeanSpan(batch.Dim(1)), StdSpan(batch.Dim(1)));
        return batch;
    }

    private Image Prepare(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        Image img = Grayscale ? image.ToGray() : image.ToRgb();
        if (ResizeTo > 0)
            img = ImageTransforms.ResizeShorterSide(img, ResizeTo, Filter);
        if (CropTo > 0)
            img = ImageTransforms.CenterCrop(img, CropTo);
        return img;
    }

    private ReadOnlySpan<float> MeanSpan(int channels) => Check(Mean, channels, nameof(Mean));

    private ReadOnlySpan<float> StdSpan(int channels)
    {
        float[] std = Check(Std, channels, nameof(Std));
        if (Array.IndexOf(std, 0f) >= 0)
            throw new ArgumentException("ImagePreprocessing: Std contains a zero.", nameof(Std));
        return std;
    }

    private static float[] Check(IReadOnlyList<float> values, int channels, string name)
    {
        if (values.Count != channels)
            throw new ArgumentException($"ImagePreprocessing: {name} has {values.Count} entries for {channels} channels.", name);
        return [.. values];
    }
}
