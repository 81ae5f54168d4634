// Fashion-MNIST (Xiao et al. 2017, https://arxiv.org/abs/1708.07747): 60,000 training and 10,000 test 28×28 gray
// images of 10 clothing classes, as IDX files (optionally gzipped), read as [N, 1, 28, 28] in [0, 1].

using Unravel.IO;

namespace Unravel.Models.Training;

/// <summary>File names and class names of Fashion-MNIST, and a loader.</summary>
public static class FashionMnist
{
    /// <summary>Class names in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Images [N, 1, 28, 28] and labels of one split ("train" or "t10k") in <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">The IDX files (plain or .gz) are missing.</exception>
    public static (Tensor Images, int[] Labels) Load(string folder, string split)
    {
        string images = Find(folder, $"{split}-images-idx3-ubyte"), labels = Find(folder, $"{split}-labels-idx1-ubyte");
        return (Idx.ReadImages(images), Idx.ReadLabels(labels));
    }

    private static string Find(string folder, string stem)
    {
        foreach (string name in new[] { stem + ".gz", stem })
            if (File.Exists(Path.Combine(folder, name))) return Path.Combine(folder, name);
        throw new FileNotFoundException($"fashion-mnist: neither {stem}.gz nor {stem} is in {folder}.", Path.Combine(folder, stem + ".gz"));
    }
}
