// Test data for the collect commands: random 28×28 images and labels written as t10k-style IDX files.

using System.Buffers.Binary;

namespace Unravel.Cli.Tests;

internal static class IdxFiles
{
    /// <summary>Writes <paramref name="n"/> seeded random 28×28 images and their labels into <paramref name="dir"/>; returns the images path.</summary>
    public static string WriteRandom(string dir, int n, int seed, Func<int, int> label)
    {
        var rng = new Random(seed);
        var pixels = new byte[n * 28 * 28];
        rng.NextBytes(pixels);
        string images = Path.Combine(dir, "t10k-images-idx3-ubyte");
        File.WriteAllBytes(images, [.. Header(0x0803, n, 28, 28), .. pixels]);
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), [.. Header(0x0801, n), .. Enumerable.Range(0, n).Select(i => (byte)label(i))]);
        return images;
    }

    /// <summary>An IDX header: big-endian magic and dimensions.</summary>
    public static byte[] Header(int magic, params int[] dims)
    {
        var h = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(h, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + 4 * i), dims[i]);
        return h;
    }
}
