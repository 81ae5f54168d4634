using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class Pool2dTests
{
    public static TheoryData<string> Cases => OpCase.Names("pool");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pool2d_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("pool", name);
        OpCheck.ForwardAndBackward(c, x => c.Op switch
        {
            "max_pool2d" => Tensors.Ops.MaxPool2d(x["x"], Pair(c, "kernel"), Pair(c, "stride"), Pair(c, "padding"), Pair(c, "dilation"), c.Bool("ceil_mode")),
            "avg_pool2d" => Tensors.Ops.AvgPool2d(x["x"], Pair(c, "kernel"), Pair(c, "stride"), Pair(c, "padding"), c.Bool("ceil_mode"), c.Bool("count_include_pad")),
            "adaptive_avg_pool2d" => Tensors.Ops.AdaptiveAvgPool2d(x["x"], Pair(c, "output_size")),
            _ => throw new InvalidOperationException(c.Op),
        });
    }

    [Theory]
    [InlineData(2, 2, 0, 1, false)]
    [InlineData(3, 2, 1, 1, true)]
    [InlineData(3, 1, 1, 2, false)]
    public void MaxPool2d_CentralDifference(int kernel, int stride, int padding, int dilation, bool ceilMode)
    {
        GradCheck.Check(t => Tensors.Ops.MaxPool2d(t[0], kernel, stride, padding, dilation, ceilMode), [Distinct(2, 3, 7, 6)], "max_pool2d");
    }

    [Theory]
    [InlineData(2, 2, 0, false, true)]
    [InlineData(3, 2, 1, true, true)]
    [InlineData(3, 2, 1, true, false)]
    public void AvgPool2d_CentralDifference(int kernel, int stride, int padding, bool ceilMode, bool countIncludePad)
    {
        Tensor x = Tensor.RandomNormal(new Random(4), 2, 3, 7, 6);
        GradCheck.Check(t => Tensors.Ops.AvgPool2d(t[0], kernel, stride, padding, ceilMode, countIncludePad), [x], "avg_pool2d");
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(1, 1)]
    [InlineData(4, 9)]
    public void AdaptiveAvgPool2d_CentralDifference(int outH, int outW)
    {
        Tensor x = Tensor.RandomNormal(new Random(6), 2, 2, 7, 6);
        GradCheck.Check(t => Tensors.Ops.AdaptiveAvgPool2d(t[0], (outH, outW)), [x], "adaptive_avg_pool2d");
    }

    [Fact]
    public void MaxPool2d_NaNInWindow_PropagatesNaN()
    {
        Tensor x = Tensor.FromArray([1f, float.NaN, 3f, 2f, 5f, 0f, 1f, 1f], 1, 1, 2, 4);
        Tensor y = Tensors.Ops.MaxPool2d(x, 2);
        Assert.True(float.IsNaN(y[0, 0, 0, 0]));
        Assert.Equal(3f, y[0, 0, 0, 1]);
    }

    [Fact]
    public void MaxPool2d_AllPaddingBorderWindows_GradientStaysInsideInput()
    {
        // Ceil mode with padding keeps a last window that overhangs the border; its gradient must land on real inputs.
        Tensor x = Distinct(1, 1, 5, 5);
        using var tape = new Tape();
        Tensor xs = tape.Watch(x);
        Tensor y = Tensors.Ops.MaxPool2d(xs, 3, 2, 1, ceilMode: true);
        GradStore g = tape.Backward(y);
        Assert.Equal(y.Length, (int)Math.Round(g[xs]!.ToArray().Sum()));
    }

    [Fact]
    public void Pool2d_IntOverloads_MatchTupleOverloads()
    {
        Tensor x = Tensor.RandomNormal(new Random(8), 2, 3, 9, 8);
        Assert.Equal(Tensors.Ops.MaxPool2d(x, (3, 3), (2, 2), (1, 1), (1, 1)).ToArray(), Tensors.Ops.MaxPool2d(x, 3, 2, 1).ToArray());
        Assert.Equal(Tensors.Ops.MaxPool2d(x, (2, 2)).ToArray(), Tensors.Ops.MaxPool2d(x, 2).ToArray());
        Assert.Equal(Tensors.Ops.AvgPool2d(x, (3, 3), (2, 2), (1, 1), true, false).ToArray(), Tensors.Ops.AvgPool2d(x, 3, 2, 1, true, false).ToArray());
        Assert.Equal(Tensors.Ops.AdaptiveAvgPool2d(x, (2, 2)).ToArray(), Tensors.Ops.AdaptiveAvgPool2d(x, 2).ToArray());
    }

    [Fact]
    public void Pool2d_SameInputsTwice_GivesBitIdenticalResults()
    {
        Tensor x = Tensor.RandomNormal(new Random(9), 4, 8, 11, 10);
        foreach (Func<Tensor, Tensor> op in new Func<Tensor, Tensor>[]
                 {
                     t => Tensors.Ops.MaxPool2d(t, 3, 2, 1), t => Tensors.Ops.AvgPool2d(t, 3, 2, 1), t => Tensors.Ops.AdaptiveAvgPool2d(t, (3, 4)),
                 })
        {
            float[][] Run()
            {
                using var tape = new Tape();
                Tensor xs = tape.Watch(x.Clone());
                Tensor y = op(xs);
                return [y.ToArray(), tape.Backward(y, Tensor.RandomNormal(new Random(1), y.Shape.ToArray()))[xs]!.ToArray()];
            }
            float[][] first = Run(), second = Run();
            Assert.Equal(first[0], second[0]);
            Assert.Equal(first[1], second[1]);
        }
    }

    [Fact]
    public void Pool2d_WrongRankOrWindow_ThrowsNamingOpAndShape()
    {
        AssertThrowsNaming(() => Tensors.Ops.MaxPool2d(Tensor.Zeros(3, 8, 8), 2), "max_pool2d", "[3, 8, 8]");
        AssertThrowsNaming(() => Tensors.Ops.MaxPool2d(Tensor.Zeros(1, 1, 2, 2), 5), "max_pool2d", "[1, 1, 2, 2]");
        AssertThrowsNaming(() => Tensors.Ops.MaxPool2d(Tensor.Zeros(1, 1, 8, 8), 3, 1, 2), "max_pool2d", "[1, 1, 8, 8]");
        AssertThrowsNaming(() => Tensors.Ops.AvgPool2d(Tensor.Zeros(2, 8, 8), 2), "avg_pool2d", "[2, 8, 8]");
        AssertThrowsNaming(() => Tensors.Ops.AvgPool2d(Tensor.Zeros(1, 1, 8, 8), 2, 0), "avg_pool2d", "[1, 1, 8, 8]");
        AssertThrowsNaming(() => Tensors.Ops.AdaptiveAvgPool2d(Tensor.Zeros(8, 8), 2), "adaptive_avg_pool2d", "[8, 8]");
        AssertThrowsNaming(() => Tensors.Ops.AdaptiveAvgPool2d(Tensor.Zeros(1, 1, 8, 8), 0), "adaptive_avg_pool2d", "[1, 1, 8, 8]");
    }

    private static void AssertThrowsNaming(Action act, string op, string shape)
    {
        var e = Assert.Throws<ArgumentException>(act);
        Assert.Contains(op, e.Message);
        Assert.Contains(shape, e.Message);
    }

    /// <summary>A shuffled ramp with steps of 0.05, so no window has a near-tie within the finite-difference step.</summary>
    private static Tensor Distinct(params int[] shape)
    {
        var rng = new Random(12);
        int n = ShapeRules.Count(shape);
        float[] v = Enumerable.Range(0, n).Select(i => (i - n / 2) * 0.05f).OrderBy(_ => rng.Next()).ToArray();
        return Tensor.FromArray(v, shape);
    }

    private static (int H, int W) Pair(OpCase c, string name)
    {
        int[] v = c.Ints(name);
        return (v[0], v[1]);
    }
}
