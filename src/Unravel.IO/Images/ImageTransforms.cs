// torchvision.transforms (0.14) on PIL images, reproduced exactly: Resize (shorter side or exact size, Pillow's
// resampler), CenterCrop (with torchvision's rounding and zero padding), ToTensor and Normalize (float32 math in
// the same order as torch). Dimension letters: C (channels), H, W; N for batches.
// Reference: torchvision/transforms/functional.py (resize, _compute_resized_output_size, center_crop, to_tensor,
// normalize), Pillow Image.resize / Image.crop.

using Unravel.Tensors;

namespace Unravel.IO.Images;

/// <summary>Image preprocessing steps equal to torchvision's on PIL images.</summary>
public static class ImageTransforms
{
    /// <summary>torchvision <c>Resize(size)</c> with an int: the shorter side becomes <paramref name="size"/>,
    /// the longer one <c>int(size · long / short)</c>; an image already of that size is returned as is.</summary>
    /// <exception cref="ArgumentException"><paramref name="size"/> is not positive.</exception>
    public static Image ResizeShorterSide(Image image, int size, ResampleFilter filter = ResampleFilter.Bilinear)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (size <= 0)
            throw new ArgumentException($"ResizeShorterSide: size {size} must be positive.", nameof(size));
        int w = image.Width, h = image.Height;
        int shortSide = Math.Min(w, h), longSide = Math.Max(w, h);
        // Python's true division of ints is correctly rounded, as is the double division of exact doubles.
        int newLong = (int)((double)((long)size * longSide) / shortSide);
        (int nw, int nh) = w <= h ? (size, newLong) : (newLong, size);
        return nw == w && nh == h ? image : Resize(image, nw, nh, filter);
    }

    /// <summary>Pillow <c>Image.resize((width, height), filter)</c>: antialiased when shrinking; alpha images are
    /// resampled premultiplied.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public static Image Resize(Image image, int width, int height, ResampleFilter filter = ResampleFilter.Bilinear)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Resize: size {width}x{height} must be positive (input {image.Width}x{image.Height}).", nameof(width));
        return PilResample.Resize(image, width, height, filter);
    }

    /// <summary>torchvision <c>CenterCrop((height, width))</c>: top = round((H - height) / 2) with Python's
    /// round-half-to-even, likewise left; a crop larger than the image pads with zeros first as torchvision does.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public static Image CenterCrop(Image image, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"CenterCrop: size {height}x{width} (HxW) must be positive.", nameof(height));
        int ih = image.Height, iw = image.Width, padTop = 0, padLeft = 0;
        if (width > iw || height > ih)
        {
            padLeft = width > iw ? (width - iw) / 2 : 0;
            padTop = height > ih ? (height - ih) / 2 : 0;
            int padRight = width > iw ? (width - iw + 1) / 2 : 0, padBottom = height > ih ? (height - ih + 1) / 2 : 0;
            iw += padLeft + padRight;
            ih += padTop + padBottom;
        }
        int top = (int)Math.Round((ih - height) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((iw - width) / 2.0, MidpointRounding.ToEven);
        return Crop(image, top - padTop, left - padLeft, height, width);
    }

    /// <summary>torchvision <c>CenterCrop(size)</c> with an int.</summary>
    public static Image CenterCrop(Image image, int size) => CenterCrop(image, size, size);

    /// <summary>Pillow <c>Image.crop((left, top, left + width, top + height))</c>: the region may extend past the
    /// image, where it is zero.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public static Image Crop(Image image, int top, int left, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Crop: size {height}x{width} (HxW) must be positive.", nameof(height));
        int ch = image.Channels;
        var dst = Image.Create(width, height, ch);
        int x0 = Math.Max(0, left), x1 = Math.Min(image.Width, left + width);
        if (x1 <= x0)
            return dst;
        for (int y = Math.Max(0, top); y < Math.Min(image.Height, top + height); y++)
        {
            image.Pixels.AsSpan((y * image.Width + x0) * ch, (x1 - x0) * ch)
                .CopyTo(dst.Pixels.AsSpan(((y - top) * width + (x0 - left)) * ch));
        }
        return dst;
    }

    /// <summary>torchvision <c>ToTensor()</c>: HWC bytes to a [C, H, W] float tensor in [0, 1].</summary>
    /// <remarks>Effectively computes y[c, h, w] = pixel(h, w, c) / 255 in float32.</remarks>
    public static Tensor ToTensor(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        float[] data = new float[image.Pixels.Length];
        WriteChw(image, data);
        return Tensor.FromArray(data, image.Channels, image.Height, image.Width);  // [C, H, W]
    }

    /// <summary>torchvision <c>Normalize(mean, std)</c> on a [C, H, W] or [N, C, H, W] tensor; returns a new
    /// tensor.</summary>
    /// <remarks>Effectively computes y[.., c, h, w] = (x[.., c, h, w] - mean[c]) / std[c] in float32.</remarks>
    /// <exception cref="ArgumentException">The tensor is not rank 3 or 4, mean/std do not have C entries, or a std
    /// is zero.</exception>
    public static Tensor Normalize(Tensor tensor, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank is not (3 or 4))
            throw new ArgumentException($"Normalize: expected [C, H, W] or [N, C, H, W], got {tensor.ShapeString}.", nameof(tensor));
        int c = tensor.Dim(-3);
        if (mean.Length != c || std.Length != c)
            throw new ArgumentException(
                $"Normalize: tensor {tensor.ShapeString} has {c} channels but mean has {mean.Length} and std {std.Length} entries.",
                nameof(mean));
        foreach (float s in std)
        {
            if (s == 0f)
                throw new ArgumentException("Normalize: std contains a zero.", nameof(std));
        }
        Tensor y = tensor.Clone();
        NormalizeInPlace(y.Data, c, tensor.Dim(-2) * tensor.Dim(-1), mean, std);
        return y;
    }

    internal static void WriteChw(Image image, Span<float> dst)
    {
        int ch = image.Channels, plane = image.Width * image.Height;
        ReadOnlySpan<byte> px = image.Pixels;
        for (int c = 0; c < ch; c++)
        {
            Span<float> o = dst.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
                o[i] = px[i * ch + c] / 255f;
        }
    }

    internal static void NormalizeInPlace(Span<float> data, int channels, int plane, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        for (int start = 0; start < data.Length; start += plane)
        {
            int c = start / plane % channels;
            float m = mean[c], s = std[c];
            Span<float> p = data.Slice(start, plane);
            for (int i = 0; i < p.Length; i++)
                p[i] = (p[i] - m) / s;
        }
    }
}
