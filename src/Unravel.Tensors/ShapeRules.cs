// Shape arithmetic shared by all ops: counts, axis normalisation, broadcasting and error messages.

namespace Unravel.Tensors;

/// <summary>Shape helpers; every error names the op and the shapes involved.</summary>
public static class ShapeRules
{
    public static int Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        if (n > int.MaxValue) throw new ArgumentException($"Shape {Format(shape)} has more than {int.MaxValue} elements.");
        return (int)n;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    internal static int[] Validate(int[] shape, string op)
    {
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"{op}: negative dimension in shape {Format(shape)}.", nameof(shape));
        return shape;
    }

    /// <summary>Maps a possibly negative axis into [0, rank).</summary>
    public static int NormalizeAxis(int axis, int rank, string op)
    {
        int a = axis < 0 ? axis + rank : axis;
        if ((uint)a >= (uint)rank)
            throw new ArgumentException($"{op}: axis {axis} is out of range for a tensor of rank {rank}.", nameof(axis));
        return a;
    }

    /// <summary>NumPy/PyTorch broadcasting of two shapes.</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast; names the op and both shapes.</exception>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} do not broadcast (dim {i}: {da} vs {db}).");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Row-major strides of a contiguous shape.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>Throws unless the two shapes are equal.</summary>
    public static void RequireEqual(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        if (!a.SequenceEqual(b))
            throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} must be equal.");
    }

    /// <summary>Throws unless the tensor has the given rank.</summary>
    public static void RequireRank(Tensor t, int rank, string op, string name)
    {
        if (t.Rank != rank)
            throw new ArgumentException($"{op}: {name} must have rank {rank}, got shape {t.ShapeString}.", name);
    }
}
