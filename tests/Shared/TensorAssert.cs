// Tolerance comparison that reports the max difference and the first mismatching pairs (llm.c check_tensor).
// Shared by every test project (linked from tests/Shared).

using System.Globalization;
using System.Text;
using Unravel.Tensors;
using Xunit.Sdk;

namespace Unravel.Testing;

public static class TensorAssert
{
    /// <summary>Forward tolerances of STYLE.md.</summary>
    public const float ForwardAtol = 1e-5f, ForwardRtol = 1e-4f;

    /// <summary>Gradient tolerances of STYLE.md.</summary>
    public const float GradAtol = 1e-4f, GradRtol = 1e-3f;

    /// <summary>Asserts equal shapes and |a - e| ≤ atol + rtol·|e| everywhere; NaN matches NaN, ±Inf must match exactly.</summary>
    /// <returns>The largest absolute difference over finite pairs.</returns>
    public static double Close(Tensor expected, Tensor actual, float atol, float rtol, string label)
    {
        if (!expected.Shape.SequenceEqual(actual.Shape))
            throw new XunitException($"{label}: shape {actual.ShapeString}, expected {expected.ShapeString}.");
        return Close(expected.Data, actual.Data, atol, rtol, label);
    }

    public static double Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float atol, float rtol, string label)
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{label}: {actual.Length} values, expected {expected.Length}.");
        double maxDiff = 0;
        int bad = 0;
        var first = new StringBuilder();
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            bool ok;
            if (float.IsNaN(e) || float.IsNaN(a)) ok = float.IsNaN(e) && float.IsNaN(a);
            else if (float.IsInfinity(e) || float.IsInfinity(a)) ok = e == a;
            else
            {
                double d = Math.Abs((double)a - e);
                maxDiff = Math.Max(maxDiff, d);
                ok = d <= atol + rtol * Math.Abs(e);
            }
            if (!ok && bad++ < 5)
                first.Append(CultureInfo.InvariantCulture, $"  [{i}] expected {e:G9}, got {a:G9}\n");
        }
        if (bad > 0)
            throw new XunitException($"{label}: {bad} of {expected.Length} values out of tolerance (atol {atol}, rtol {rtol}); maxDiff {maxDiff:G4}\n{first}");
        return maxDiff;
    }

    /// <summary>|a − e| ≤ rel · max|e| + rel · |e| elementwise: <paramref name="rel"/> relative to the tensor's scale.</summary>
    /// <returns>The largest absolute difference and the scale max|e|.</returns>
    public static (double MaxDiff, float Scale) CloseToScale(Tensor expected, Tensor actual, float rel, string label)
    {
        float scale = 0;
        foreach (float v in expected.Data) scale = MathF.Max(scale, MathF.Abs(v));
        return (Close(expected, actual, rel * scale, rel, label), scale);
    }

    public static double ForwardClose(Tensor expected, Tensor actual, string label) => Close(expected, actual, ForwardAtol, ForwardRtol, label);

    public static double GradClose(Tensor expected, Tensor actual, string label) => Close(expected, actual, GradAtol, GradRtol, label);
}
