// One slice of a job that fans out over n workers: shard i of n takes the contiguous part [⌊i·m/n⌋, ⌊(i+1)·m/n⌋) of m
// items (collection inputs, or a layer's neurons). Written "i/n" on the command line, as `--shard 2/4`.

using System.Globalization;

namespace Unravel.Atlas.Scale;

/// <summary>Shard <see cref="Index"/> of <see cref="Count"/> (0 ≤ Index &lt; Count).</summary>
public readonly record struct Shard
{
    /// <summary>Shard <paramref name="index"/> of <paramref name="count"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not 0 ≤ index &lt; count.</exception>
    public Shard(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        Index = index;
        Count = count;
    }

    /// <summary>0-based shard number.</summary>
    public int Index { get; }

    /// <summary>Number of shards.</summary>
    public int Count { get; }

    /// <summary>Parses "i/n" with 0 ≤ i &lt; n.</summary>
    /// <param name="text">The option's value.</param>
    /// <param name="option">The option's name, for the message ("--shard").</param>
    /// <exception cref="UnravelException">Not of that form.</exception>
    public static Shard Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && i < n)
            return new Shard(i, n);
        throw new UnravelException($"{option} {text} is not i/n with 0 ≤ i < n, nor auto.", $"e.g. {option} 0/4 … {option} 3/4, or {option} auto under a scheduler");
    }

    /// <summary>The half-open range [start, end) of this shard's part of <paramref name="items"/> items.</summary>
    public (int Start, int End) Slice(int items)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        return ((int)((long)Index * items / Count), (int)((long)(Index + 1) * items / Count));
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
