// The deterministic weight formula of tools/fixtures/models_vision.py (`synthetic_value`, `synthetic_input`),
// re-implemented bit for bit: full-size ResNet/VGG weights are regenerated here instead of being committed.
// Only integer hashing, an exact float64 mapping to (−1, 1), and single IEEE float64 operations rounded once to
// float32 are used, so Python (numpy) and .NET agree exactly; `BitSum` lets a test prove it per tensor.

using System.Text;
using System.Text.RegularExpressions;
using Unravel.Tensors;

namespace Unravel.Models.Tests.Vision;

internal static partial class SyntheticWeights
{
    /// <summary>32-bit FNV-1a of the UTF-8 bytes.</summary>
    public static uint Fnv1a(string text)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(text)) h = unchecked((h ^ b) * 16777619u);
        return h;
    }

    /// <summary>(2m + 1) / 2^24 − 1 with m the top 24 bits of a 32-bit hash of (i, seed): exact in float64.</summary>
    public static double Uniform(uint seed, uint i)
    {
        uint x = unchecked(i * 0x9E3779B1u + seed);
        x ^= x >> 16;
        x = unchecked(x * 0x7FEB352Du);
        x ^= x >> 15;
        x = unchecked(x * 0x846CA68Bu);
        x ^= x >> 16;
        uint m = x >> 8;
        return (2.0 * m + 1.0) / 16777216.0 - 1.0;
    }

    [GeneratedRegex(@"layer\d+\.\d+\.bn[23]\.weight$")]
    private static partial Regex ResidualLastBn();

    /// <summary>The value of state_dict entry <paramref name="key"/> (see models_vision.py for the ranges).</summary>
    public static Tensor Value(string key, int[] shape)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal)) return Tensor.Zeros(shape);
        Func<double, double> map;
        if (shape.Length >= 2)
        {
            double bound = Math.Sqrt(6.0 / (count / shape[0]));
            map = u => u * bound;
        }
        else if (key.EndsWith("running_var", StringComparison.Ordinal)) map = u => 0.75 + 0.25 * u;
        else if (key.EndsWith("running_mean", StringComparison.Ordinal)) map = u => 0.1 * u;
        else if (key.EndsWith("bias", StringComparison.Ordinal)) map = u => 0.1 * u;
        else if (ResidualLastBn().IsMatch(key)) map = u => 0.5 + 0.1 * u;
        else map = u => 1.0 + 0.25 * u;
        return Tensor.FromArray(Fill(count, Fnv1a(key), map), shape);
    }

    /// <summary>The synthetic input of model <paramref name="name"/>: U(−1, 1) values.</summary>
    public static Tensor Input(string name, int[] shape)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.FromArray(Fill(count, Fnv1a("input:" + name), u => u), shape);
    }

    /// <summary>Sum of the float32 bit patterns mod 2^32 (models_vision.py `bitsum`).</summary>
    public static uint BitSum(ReadOnlySpan<float> values)
    {
        uint s = 0;
        foreach (float v in values) s = unchecked(s + BitConverter.SingleToUInt32Bits(v));
        return s;
    }

    private static float[] Fill(int count, uint seed, Func<double, double> map)
    {
        float[] data = new float[count];
        Parallel.For(0, (data.Length + 65535) / 65536, chunk =>
        {
            int end = Math.Min(data.Length, (chunk + 1) * 65536);
            for (int i = chunk * 65536; i < end; i++) data[i] = (float)map(Uniform(seed, (uint)i));
        });
        return data;
    }
}
