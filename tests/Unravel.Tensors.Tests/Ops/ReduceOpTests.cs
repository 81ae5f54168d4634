// Sum / Mean over axes and Max over one axis against PyTorch fixtures (tools/fixtures/ops_reduce.py), central
// differences, tie and NaN behaviour, and axis errors.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;
using T = Unravel.Tensors.Ops;

namespace Unravel.Tensors.Tests.Ops;

public sealed class ReduceOpTests
{
    public static TheoryData<string> Cases => OpCase.Names("reduce");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reduce_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("reduce", name);
        int[]? axes = c.HasAttr("axes") ? c.Ints("axes") : null;
        bool keep = c.Bool("keepdim");
        OpCheck.ForwardAndBackward(c, x => c.Op switch
        {
            "sum" => T.Sum(x["x"], axes, keep),
            "mean" => T.Mean(x["x"], axes, keep),
            "max" => T.Max(x["x"], c.Int("axis"), keep),
            _ => throw new InvalidOperationException(c.Op),
        });
    }

    public static TheoryData<int[], int[]?, bool> SumCases => new()
    {
        { [3, 4], null, false },
        { [2, 3, 4], [0, 2], true },
        { [2, 3, 4], [-2], false },
        { [2, 3, 4, 2], [1, 2], false },
    };

    [Theory]
    [MemberData(nameof(SumCases))]
    public void SumMean_CentralDifference(int[] shape, int[]? axes, bool keepDim)
    {
        Tensor x = Tensor.RandomNormal(new Random(3), shape);
        GradCheck.Check(t => T.Sum(t[0], axes, keepDim), [x], "sum");
        GradCheck.Check(t => T.Mean(t[0], axes, keepDim), [x], "mean");
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(-1, true)]
    [InlineData(1, false)]
    public void Max_CentralDifference(int axis, bool keepDim)
    {
        // Distinct values 0.1 apart: the ±h stencil (h = 0.01) never changes the argmax.
        var rng = new Random(4);
        float[] values = Enumerable.Range(0, 24).OrderBy(_ => rng.Next()).Select(i => i * 0.1f).ToArray();
        Tensor x = Tensor.FromArray(values, 2, 3, 4);
        GradCheck.Check(t => T.Max(t[0], axis, keepDim), [x], "max");
    }

    [Fact]
    public void Max_Ties_GradientGoesToFirstMaximum()
    {
        // torch 1.13: torch.max(tensor([[1,3,3],[2,2,1]]), 1) returns indices [1, 0]; the gradient of values.sum()
        // is [[0,1,0],[1,0,0]] (only the returned index gets it).
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.FromArray([1f, 3f, 3f, 2f, 2f, 1f], 2, 3));
        Tensor y = T.Max(x, 1);
        Assert.Equal([3f, 2f], y.ToArray());
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 0f], tape.Backward(y)[x]!.ToArray());
    }

    [Fact]
    public void Max_NaN_Propagates()
    {
        // torch.max(tensor([[1, nan, 3]]), 1) = (nan, index 1).
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.FromArray([1f, float.NaN, 3f, 4f, 5f, float.NaN], 2, 3));
        Tensor y = T.Max(x, 1);
        Assert.True(float.IsNaN(y.Data[0]));
        Assert.True(float.IsNaN(y.Data[1]));
        Assert.Equal([0f, 1f, 0f, 0f, 0f, 1f], tape.Backward(y)[x]!.ToArray());
    }

    [Fact]
    public void Sum_AllAxes_ReturnsScalarAndMatchesDoubleSum()
    {
        // 100 003 elements: several 1024-blocks plus a tail; the double-combined blocks stay close to an exact sum.
        Tensor x = Tensor.RandomUniform(new Random(5), 0f, 1f, 7, 14_287);
        Tensor s = T.Sum(x);
        Assert.Equal(0, s.Rank);
        double exact = 0;
        foreach (float v in x.Data) exact += v;
        Assert.Equal(exact, s.ToScalar(), exact * 1e-6);
        Assert.Equal(exact / x.Length, T.Mean(x).ToScalar(), 1e-6);
    }

    [Fact]
    public void Sum_LargeParallel_MatchesRowByRowReference()
    {
        Tensor x = Tensor.RandomNormal(new Random(6), 64, 37, 50);
        Tensor y = T.Sum(x, [1]);
        for (int o = 0; o < 64; o++)
            for (int i = 0; i < 50; i++)
            {
                double s = 0;
                for (int r = 0; r < 37; r++) s += x[o, r, i];
                Assert.Equal(s, y[o, i], 1e-4);
            }
    }

    [Fact]
    public void SumMean_EmptyAxes_ReduceNothing_EmptyExtent_GivesZeroAndNaN()
    {
        Tensor x = Tensor.RandomNormal(new Random(7), 2, 3);
        Assert.Equal(x.ToArray(), T.Sum(x, []).ToArray());
        Assert.Equal([2, 3], T.Mean(x, []).Shape.ToArray());
        Tensor empty = Tensor.Zeros(2, 0, 3);
        Assert.Equal(new float[6], T.Sum(empty, [1]).ToArray());
        Assert.All(T.Mean(empty, [1]).ToArray(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Sum_AxisOutOfRange_ThrowsNamingOpAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => T.Sum(Tensor.Zeros(2, 3), [2]));
        Assert.Contains("sum", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => T.Mean(Tensor.Zeros(2, 3), [1, -1]));
        Assert.Contains("mean", e.Message);
        Assert.Contains("more than once", e.Message);
        Assert.Contains("[2, 3]", e.Message);
    }

    [Fact]
    public void Max_BadAxisOrEmptyAxis_ThrowsNamingOpAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => T.Max(Tensor.Zeros(2, 3), -3));
        Assert.Contains("max", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => T.Max(Tensor.Zeros(2, 0), 1));
        Assert.Contains("max", e.Message);
        Assert.Contains("[2, 0]", e.Message);
        Assert.Throws<ArgumentException>(() => T.Max(Tensor.Scalar(1f), 0));
    }
}
