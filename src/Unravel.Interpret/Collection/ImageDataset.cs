// An in-memory image dataset [N, C, H, W] with optional labels: MNIST / Fashion-MNIST IDX files, or a folder with one
// subfolder per class as torchvision's ImageFolder reads it (labels = index of the sorted class folder name; files
// sorted by path; transforms Resize(shorter side) + CenterCrop + ToTensor + Normalize).

using Unravel.Nn;
using Unravel.Tensors;
using System.Security.Cryptography;
using System.Runtime.InteropServices;
using Unravel.IO;
using Unravel.IO.Images;
using Unravel.Models.Vision;

namespace Unravel.Interpret.Collection;

/// <summary>Preprocessed images, fed to an <see cref="IImageClassifier"/>.</summary>
public sealed class ImageDataset : ICollectionDataset
{
    private readonly Tensor _images;
    private readonly int[]? _labels;
    private readonly float[]? _mean, _std;
    private string? _sha256;
    private Func<string>? _streamedHash;

    /// <summary>Wraps images [N, C, H, W] (already preprocessed) and optional labels [N].</summary>
    /// <param name="images">[N, C, H, W].</param>
    /// <param name="labels">[N] or null.</param>
    /// <param name="description">For the manifest.</param>
    /// <param name="mean">Per-channel mean the images were normalised with (null: none), undone by <see cref="Display"/>.</param>
    /// <param name="std">Per-channel std the images were normalised with (null: none).</param>
    /// <exception cref="ArgumentException">Not rank 4, the label count differs from N, or mean/std do not have C entries.</exception>
    public ImageDataset(Tensor images, int[]? labels, string description, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank != 4)
            throw new ArgumentException($"collect: images {images.ShapeString} must be [N, C, H, W].", nameof(images));
        if (labels is not null && labels.Length != images.Dim(0))
            throw new ArgumentException($"collect: {labels.Length} labels for {images.Dim(0)} images.", nameof(labels));
        if ((mean is not null && mean.Count != images.Dim(1)) || (std is not null && std.Count != images.Dim(1)))
            throw new ArgumentException($"collect: normalisation needs {images.Dim(1)} means and stds.", nameof(mean));
        _images = images;
        _labels = labels;
        _mean = mean?.ToArray();
        _std = std?.ToArray();
        Description = description;
    }

    /// <summary>Reads a folder with one subfolder per class, as torchvision's <c>ImageFolder</c>: classes are the
    /// subfolder names sorted ordinally (label = index), images are the .png/.jpg/.jpeg files under each class folder
    /// (recursively, sorted by path), each preprocessed by <paramref name="preprocessing"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">No class folders or no images, or the images come out at different sizes
    /// (set a crop).</exception>
    /// <exception cref="CheckpointFormatException">An image file is malformed.</exception>
    public static ImageDataset FromFolder(string folder, ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        ImageFolder listing = ImageFolder.List(folder);
        IReadOnlyList<string> classes = listing.Classes;
        if (classes.Count == 0)
            throw new InvalidDatasetException($"collect: {folder} has no class subfolders (expected {folder}/<class>/<image>.png).");
        var files = listing.Files.Select((f, i) => (Path: f, Label: listing.Labels![i])).ToList();
        if (files.Count == 0) throw new InvalidDatasetException($"collect: no .png/.jpg images under {folder}/<class>/.");
        Tensor? images = null;
        int per = 0;
        for (int i = 0; i < files.Count; i++)
        {
            Tensor one = preprocessing.Apply(Image.Load(files[i].Path));                                  // [C, H, W]
            images ??= Tensor.Zeros(files.Count, one.Dim(0), one.Dim(1), one.Dim(2));                     // [N, C, H, W]
            per = images.Length / files.Count;
            if (one.Length != per)
                throw new InvalidDatasetException($"collect: {files[i].Path} gives {one.ShapeString}, unlike the first image; set a crop size.");
            one.Data.CopyTo(images.Data.Slice(i * per, per));
        }
        string description = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"image folder {Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))}: {files.Count} images in {classes.Count} classes ({string.Join(", ", classes.Take(10))}{(classes.Count > 10 ? ", …" : "")}), "
            + $"resize {preprocessing.ResizeTo}, crop {preprocessing.CropTo}, {(preprocessing.Grayscale ? "gray" : "RGB")}, mean [{string.Join(", ", preprocessing.Mean)}], std [{string.Join(", ", preprocessing.Std)}]");
        return new ImageDataset(images!, files.Select(f => f.Label).ToArray(), description, preprocessing.Mean, preprocessing.Std) { ClassNames = [.. classes] };
    }

    /// <summary>Class names by label (image folders), or null.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Channels of every image.</summary>
    public int Channels => _images.Dim(1);

    /// <summary>Height of every image.</summary>
    public int Height => _images.Dim(2);

    /// <summary>Width of every image.</summary>
    public int Width => _images.Dim(3);

    /// <summary>Image <paramref name="index"/> for display: normalisation undone, clamped to [0, 1], scaled to bytes
    /// (gray for one channel, RGB for three).</summary>
    /// <remarks>Effectively computes pixel = round(255 · clamp(x · std[c] + mean[c], 0, 1)).</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the dataset.</exception>
    public Image Display(long index)
    {
        if ((ulong)index >= (ulong)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"dataset: input {index} is outside 0 … {Count - 1}.");
        int c = Channels, hw = Height * Width;
        ReadOnlySpan<float> x = _images.Data.Slice((int)index * c * hw, c * hw);
        var image = Image.Create(Width, Height, c);
        for (int ch = 0; ch < c; ch++)
        {
            float m = _mean?[ch] ?? 0f, s = _std?[ch] ?? 1f;
            for (int i = 0; i < hw; i++)
                image.Pixels[i * c + ch] = (byte)MathF.Round(255f * Math.Clamp(x[ch * hw + i] * s + m, 0f, 1f));
        }
        return image;
    }

    /// <summary>Reads IDX images (values / 255, as torchvision's ToTensor) and optional IDX labels: the first
    /// <paramref name="limit"/> of them only, read from the file as it is streamed. The content hash stays that of the
    /// whole files (as atlases record it), computed by streaming them when more images than were read exist.</summary>
    /// <exception cref="CheckpointFormatException">A file is malformed.</exception>
    public static ImageDataset FromIdx(string imagesPath, string? labelsPath, int limit = int.MaxValue)
    {
        Tensor images = Idx.ReadImages(imagesPath, limit);                              // [min(N, limit), 1, H, W]
        int[]? labels = labelsPath is null ? null : Idx.ReadLabels(labelsPath, limit);
        bool partial = images.Dim(0) == limit && limit < int.MaxValue;
        string description = $"IDX images {Path.GetFileName(imagesPath)} {images.ShapeString}{(partial ? " (the first of the file)" : "")} scaled to [0, 1]"
            + (labelsPath is null ? "" : $", labels {Path.GetFileName(labelsPath)}");
        var dataset = new ImageDataset(images, labels, description);
        if (partial) dataset._streamedHash = () => StreamedHash(imagesPath, labelsPath);
        return dataset;
    }

    /// <summary><see cref="Hash"/> of the whole files, streamed: the images as float32 value / 255, then the labels as int32.</summary>
    private static string StreamedHash(string imagesPath, string? labelsPath)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        float[] floats = new float[1 << 20];
        Idx.Scan(imagesPath, bytes =>
        {
            for (int i = 0; i < bytes.Length; i++) floats[i] = bytes[i] / 255f;
            sha.AppendData(MemoryMarshal.AsBytes(floats.AsSpan(0, bytes.Length)));
        });
        if (labelsPath is not null)
        {
            int[] ints = new int[1 << 20];
            Idx.Scan(labelsPath, bytes =>
            {
                for (int i = 0; i < bytes.Length; i++) ints[i] = bytes[i];
                sha.AppendData(MemoryMarshal.AsBytes(ints.AsSpan(0, bytes.Length)));
            });
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <inheritdoc/>
    public int Count => _images.Dim(0);

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int>? Labels => _labels;

    /// <inheritdoc/>
    public string ContentSha256 => _sha256 ??= _streamedHash?.Invoke() ?? Hash();

    /// <inheritdoc/>
    public Tensor Forward(RootModule model, int start, int count)
    {
        if (model is not IImageClassifier classifier)
            throw new ModelInputException($"collect: {model.GetType().Name} is not an image classifier; image data needs one.");
        int per = _images.Length / Count;
        Tensor batch = Tensor.FromSpan(_images.Data.Slice(start * per, count * per), [count, _images.Dim(1), _images.Dim(2), _images.Dim(3)]); // [n, C, H, W]
        return classifier.Forward(batch);
    }

    /// <inheritdoc/>
    public Tensor Forward(RootModule model, IReadOnlyList<long> indices)
    {
        if (model is not IImageClassifier classifier)
            throw new ModelInputException($"collect: {model.GetType().Name} is not an image classifier; image data needs one.");
        return classifier.Forward(Gather(indices));
    }

    /// <summary>The preprocessed images at <paramref name="indices"/>, stacked [n, C, H, W] in the given order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the dataset.</exception>
    public Tensor Gather(IReadOnlyList<long> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int per = _images.Length / Count;
        var batch = Tensor.Zeros(indices.Count, _images.Dim(1), _images.Dim(2), _images.Dim(3));             // [n, C, H, W]
        for (int i = 0; i < indices.Count; i++)
        {
            long index = indices[i];
            if ((ulong)index >= (ulong)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"dataset: input {index} is outside 0 … {Count - 1}.");
            _images.Data.Slice((int)index * per, per).CopyTo(batch.Data.Slice(i * per, per));
        }
        return batch;
    }

    private string Hash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(MemoryMarshal.AsBytes(_images.Data));
        if (_labels is not null) sha.AppendData(MemoryMarshal.AsBytes(_labels.AsSpan()));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
