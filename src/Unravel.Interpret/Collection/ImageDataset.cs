// An in-memory image dataset [N, C, H, W] with optional labels, e.g. MNIST / Fashion-MNIST IDX files.

using Unravel.Nn;
using Unravel.Tensors;
using System.Security.Cryptography;
using System.Runtime.InteropServices;
using Unravel.IO;
using Unravel.Models.Vision;

namespace Unravel.Interpret.Collection;

/// <summary>Preprocessed images, fed to an <see cref="IImageClassifier"/>.</summary>
public sealed class ImageDataset : ICollectionDataset
{
    private readonly Tensor _images;
    private readonly int[]? _labels;
    private string? _sha256;

    /// <summary>Wraps images [N, C, H, W] (already preprocessed) and optional labels [N].</summary>
    /// <exception cref="ArgumentException">Not rank 4, or the label count differs from N.</exception>
    public ImageDataset(Tensor images, int[]? labels, string description)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank != 4)
            throw new ArgumentException($"collect: images {images.ShapeString} must be [N, C, H, W].", nameof(images));
        if (labels is not null && labels.Length != images.Dim(0))
            throw new ArgumentException($"collect: {labels.Length} labels for {images.Dim(0)} images.", nameof(labels));
        _images = images;
        _labels = labels;
        Description = description;
    }

    /// <summary>Reads IDX images (values / 255, as torchvision's ToTensor) and optional IDX labels.</summary>
    /// <exception cref="CheckpointFormatException">A file is malformed.</exception>
    public static ImageDataset FromIdx(string imagesPath, string? labelsPath)
    {
        Tensor images = Idx.ReadImages(imagesPath);                                     // [N, 1, H, W]
        int[]? labels = labelsPath is null ? null : Idx.ReadLabels(labelsPath);
        string description = $"IDX images {Path.GetFileName(imagesPath)} {images.ShapeString} scaled to [0, 1]"
            + (labelsPath is null ? "" : $", labels {Path.GetFileName(labelsPath)}");
        return new ImageDataset(images, labels, description);
    }

    /// <inheritdoc/>
    public int Count => _images.Dim(0);

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int>? Labels => _labels;

    /// <inheritdoc/>
    public string ContentSha256 => _sha256 ??= Hash();

    /// <inheritdoc/>
    public Tensor Forward(RootModule model, int start, int count)
    {
        if (model is not IImageClassifier classifier)
            throw new ArgumentException($"collect: {model.GetType().Name} is not an image classifier; image data needs one.", nameof(model));
        int per = _images.Length / Count;
        Tensor batch = Tensor.FromSpan(_images.Data.Slice(start * per, count * per), [count, _images.Dim(1), _images.Dim(2), _images.Dim(3)]); // [n, C, H, W]
        return classifier.Forward(batch);
    }

    private string Hash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(MemoryMarshal.AsBytes(_images.Data));
        if (_labels is not null) sha.AppendData(MemoryMarshal.AsBytes(_labels.AsSpan()));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
