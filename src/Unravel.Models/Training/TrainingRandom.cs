// A tiny counter-based random source for training (SplitMix64, Steele et al. 2014,
// https://doi.org/10.1145/2714064.2660195). Every stream is derived from (seed, purpose, epoch, step), so the
// "RNG state" of a run is just its position: a resumed run draws exactly what an uninterrupted one would.

namespace Unravel.Models.Training;

/// <summary>Deterministic 64-bit generator whose whole state is one <see cref="ulong"/>.</summary>
public sealed class TrainingRandom
{
    /// <summary>Starts at <paramref name="state"/>.</summary>
    public TrainingRandom(ulong state) => State = state;

    /// <summary>The full generator state (save it to continue the stream later).</summary>
    public ulong State { get; private set; }

    /// <summary>The stream for <paramref name="seed"/> and a path of counters (e.g. purpose, epoch, step).</summary>
    public static TrainingRandom For(int seed, params ReadOnlySpan<long> path)
    {
        ulong s = Mix((ulong)(uint)seed ^ 0x5EED_0000_0000UL);
        foreach (long p in path) s = Mix(s ^ (ulong)p);
        return new TrainingRandom(s);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        State += 0x9E3779B97F4A7C15UL;
        return Mix(State);
    }

    /// <summary>Uniform in [0, <paramref name="n"/>) (Lemire's multiply-shift; bias below 2⁻³² for n &lt; 2³¹).</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A Fisher–Yates permutation of 0 … n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
