// A validation split carved from a training set: a seeded permutation of the training indices (SplitMix64 stream
// (splitSeed, 3), independent of the training seed), whose first n indices are the validation images and the rest the
// training images, each list in ascending order. Model selection (stopping point, hyper-parameters) uses only the
// validation part; the test set is evaluated once, at the end.

using System.Security.Cryptography;

namespace Unravel.Models.Training;

/// <summary>Indices of the training and validation parts of one split.</summary>
/// <param name="Train">Training indices, ascending.</param>
/// <param name="Validation">Validation indices, ascending.</param>
public sealed record ValidationSplit(int[] Train, int[] Validation)
{
    private const long SplitStream = 3;

    /// <summary>Splits 0 … <paramref name="count"/>-1 into <paramref name="validation"/> validation indices and the rest.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validation"/> is negative or leaves no training example.</exception>
    public static ValidationSplit Carve(int count, int validation, int splitSeed)
    {
        if (validation < 0 || validation >= count)
            throw new ArgumentOutOfRangeException(nameof(validation), $"validation split: {validation} of {count} examples leaves no training set.");
        int[] order = TrainingRandom.For(splitSeed, SplitStream).Permutation(count);
        return new ValidationSplit([.. order[validation..].Order()], [.. order[..validation].Order()]);
    }

    /// <summary>Rows <paramref name="indices"/> of <paramref name="images"/> [N, ...] and their labels.</summary>
    public static (Tensor Images, int[] Labels) Take(Tensor images, int[] labels, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        int size = images.Data.Length / images.Dim(0);
        var data = new float[indices.Length * size];
        for (int i = 0; i < indices.Length; i++) images.Data.Slice(indices[i] * size, size).CopyTo(data.AsSpan(i * size, size));
        int[] shape = [.. images.Shape];
        shape[0] = indices.Length;
        return (Tensor.FromArray(data, shape), [.. indices.Select(i => labels[i])]);
    }

    /// <summary>SHA-256 (hex) of the validation indices as little-endian int32s: names the split in a model card.</summary>
    public string ValidationSha256() =>
        Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Validation.AsSpan())));
}
