// What the commands that read images share: the torchvision-style preprocessing that fits a model's input (ImageNet's
// Resize(256) + CenterCrop(224) + Normalize for 224-pixel RGB models, the model's own size and no normalisation for
// small gray ones), overridable by --resize/--crop/--mean/--std, and the IDX labels file next to an images file.

using System.Globalization;
using Unravel.IO.Images;
using Unravel.Models.Vision;

namespace Unravel.Cli;

internal static class ImageInputs
{
    /// <summary>torchvision-style transforms for <paramref name="model"/>; null arguments take the defaults that fit it.</summary>
    /// <param name="smallRgbImageNet">Whether RGB models under 64 pixels default to ImageNet's mean/std too (collect) or to
    /// none (run and attribute, which always fed them raw pixels).</param>
    /// <exception cref="UnravelUserException">A value is not a number, a size is not positive, or mean/std do not have one
    /// value per channel (or a std is zero).</exception>
    public static ImagePreprocessing Preprocessing(IImageClassifier model, int? resize, int? crop, string? mean, string? std, bool smallRgbImageNet = true)
    {
        (int channels, int height, _) = model.InputSize;
        if (resize is < 0) throw new UnravelUserException($"--resize must be ≥ 0 (got {resize}).", "0 keeps the image size; 256 is ImageNet's");
        if (crop is < 0) throw new UnravelUserException($"--crop must be ≥ 0 (got {crop}).", "0 keeps the whole image; 224 is ImageNet's");
        bool imagenet = channels == 3 && (smallRgbImageNet || height >= 64);
        float[] m = Floats(mean, imagenet ? [.. ImagePreprocessing.ImageNet.Mean] : Enumerable.Repeat(0f, channels).ToArray(), "--mean");
        float[] s = Floats(std, imagenet ? [.. ImagePreprocessing.ImageNet.Std] : Enumerable.Repeat(1f, channels).ToArray(), "--std");
        if (m.Length != channels || s.Length != channels)
            throw new UnravelUserException($"--mean/--std need {channels} values for {channels}-channel input (got {m.Length} and {s.Length}).",
                channels == 3 ? "e.g. --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225" : "e.g. --mean 0.5 --std 0.5");
        if (s.Any(v => !(v != 0) || !float.IsFinite(v)))
            throw new UnravelUserException($"--std {std}: every value must be finite and non-zero.", "e.g. --std 0.229,0.224,0.225");
        return new ImagePreprocessing
        {
            ResizeTo = resize ?? (height == 224 ? 256 : height), CropTo = crop ?? height, Grayscale = channels == 1, Mean = m, Std = s,
        };
    }

    /// <summary>Comma-separated numbers, or <paramref name="fallback"/> when <paramref name="text"/> is null.</summary>
    /// <exception cref="UnravelUserException">A value is not a finite number.</exception>
    public static float[] Floats(string? text, float[] fallback, string option) => text is null ? fallback
        : text.Split(',').Select(v => float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && float.IsFinite(f) ? f
            : throw new UnravelUserException($"{option} {text}: '{v}' is not a number.", $"e.g. {option} 0.5,0.5,0.5")).ToArray();

    /// <summary>Whether <paramref name="path"/> names an IDX file (MNIST naming: "…-idx3-ubyte", "…idx1…").</summary>
    public static bool IsIdx(string path) => Path.GetFileName(path).Contains("idx", StringComparison.OrdinalIgnoreCase);

    /// <summary><paramref name="labels"/> when given (it must exist), else the IDX labels file next to
    /// <paramref name="images"/> ("…images-idx3…" → "…labels-idx1…") when it exists, else null.</summary>
    /// <exception cref="UnravelUserException">The given labels file does not exist.</exception>
    public static string? Labels(string images, string? labels)
    {
        if (labels is not null)
            return File.Exists(labels) ? labels : throw new UnravelUserException($"{labels}: no such file.", "pass --labels PATH to an IDX labels file, or leave it out");
        string guess = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(images))!, Path.GetFileName(images).Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
        return guess != Path.GetFullPath(images) && File.Exists(guess) ? guess : null;
    }
}
