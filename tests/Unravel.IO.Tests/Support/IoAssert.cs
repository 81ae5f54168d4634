// Assertions shared by the IO tests: exact tensor equality and the shape of CheckpointFormatException messages.

using Unravel.Tensors;
using Xunit.Sdk;

namespace Unravel.IO.Tests.Support;

public static class IoAssert
{
    /// <summary>Same shape and bit-identical values (any NaN matches any NaN).</summary>
    public static void Identical(Tensor expected, Tensor actual, string label)
    {
        if (!expected.Shape.SequenceEqual(actual.Shape))
            throw new XunitException($"{label}: shape {actual.ShapeString}, expected {expected.ShapeString}.");
        ReadOnlySpan<float> e = expected.Data, a = actual.Data;
        for (int i = 0; i < e.Length; i++)
        {
            bool same = float.IsNaN(e[i]) ? float.IsNaN(a[i]) : BitConverter.SingleToUInt32Bits(e[i]) == BitConverter.SingleToUInt32Bits(a[i]);
            if (!same) throw new XunitException($"{label}: element {i} is {a[i]:G9}, expected {e[i]:G9}.");
        }
    }

    /// <summary>Runs <paramref name="action"/>, expects a CheckpointFormatException for <paramref name="file"/>
    /// whose message contains every one of <paramref name="fragments"/>.</summary>
    public static CheckpointFormatException Throws(string file, Action action, params string[] fragments)
    {
        CheckpointFormatException ex = Assert.Throws<CheckpointFormatException>(action);
        Assert.Equal(file, ex.File);
        Assert.StartsWith(file + ": ", ex.Message);
        foreach (string f in fragments)
            Assert.True(ex.Message.Contains(f, StringComparison.Ordinal), $"message lacks '{f}': {ex.Message}");
        return ex;
    }

    public static CheckpointFormatException Throws(string file, Func<object?> action, params string[] fragments) =>
        Throws(file, () => { action(); }, fragments);
}
