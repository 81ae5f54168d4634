// Tolerance comparison for model tests: reports the max difference and the first mismatching pairs (llm.c
// check_tensor), as tests/Unravel.Tensors.Tests/Support/TensorAssert does for ops.

using System.Globalization;
using System.Text;
using Unravel.Tensors;
using Xunit.Sdk;

namespace Unravel.Models.Tests.Vision;

internal static class VisionAssert
{
    /// <summary>Forward tolerances of STYLE.md.</summary>
    public const float ForwardAtol = 1e-5f, ForwardRtol = 1e-4f;

    /// <summary>Gradient tolerances of STYLE.md.</summary>
    public const float GradAtol = 1e-4f, GradRtol = 1e-3f;

    /// <summary>Asserts equal shapes and |a − e| ≤ atol + rtol·|e| everywhere; returns the max difference.</summary>
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
            double d = Math.Abs((double)a - e);
            if (!(d <= maxDiff)) maxDiff = d; // NaN propagates into maxDiff
            if (!(d <= atol + rtol * Math.Abs(e)) && bad++ < 5)
                first.Append(CultureInfo.InvariantCulture, $"  [{i}] expected {e:G9}, got {a:G9}\n");
        }
        if (bad > 0)
            throw new XunitException($"{label}: {bad} of {expected.Length} values out of tolerance (atol {atol}, rtol {rtol}); maxDiff {maxDiff:G4}\n{first}");
        return maxDiff;
    }
}
