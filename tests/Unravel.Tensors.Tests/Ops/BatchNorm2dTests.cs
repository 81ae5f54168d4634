using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class BatchNorm2dTests
{
    public static TheoryData<string> Cases => OpCase.Names("batchnorm", "batch_norm2d");

    [Theory]
    [MemberData(nameof(Cases))]
    public void BatchNorm2d_MatchesPyTorch_IncludingRunningStats(string name)
    {
        OpCase c = OpCase.Get("batchnorm", name);
        Tensor? runningMean = null, runningVar = null;
        OpCheck.ForwardAndBackward(c, x =>
        {
            runningMean = x["running_mean"];
            runningVar = x["running_var"];
            return Tensors.Ops.BatchNorm2d(x["x"], x["weight"], x["bias"], runningMean, runningVar, c.Bool("training"), c.Float("momentum"), c.Float("eps"));
        });
        TensorAssert.ForwardClose(c.Output("running_mean"), runningMean!, $"{name} running_mean");
        TensorAssert.ForwardClose(c.Output("running_var"), runningVar!, $"{name} running_var");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNorm2d_CentralDifference(bool training)
    {
        var rng = new Random(21);
        Tensor x = Tensor.RandomNormal(rng, 3, 2, 4, 3);
        Tensor w = Tensor.RandomUniform(rng, 0.5f, 1.5f, 2), b = Tensor.RandomNormal(rng, 2);
        Tensor rm = Tensor.RandomNormal(rng, 2), rv = Tensor.RandomUniform(rng, 0.5f, 1.5f, 2);
        GradCheck.Check(t => Tensors.Ops.BatchNorm2d(t[0], t[1], t[2], rm, rv, training), [x, w, b], $"batch_norm2d training={training}");
    }

    [Fact]
    public void BatchNorm2d_Training_UpdatesRunningStatsWithUnbiasedVariance()
    {
        // One channel holding 1, 2, 3, 4: mean 2.5, biased var 1.25, unbiased var 5/3.
        Tensor x = Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 2, 2);
        Tensor rm = Tensor.FromArray([1f], 1), rv = Tensor.FromArray([1f], 1);
        Tensor y = Tensors.Ops.BatchNorm2d(x, Tensor.FromArray([1f], 1), Tensor.FromArray([0f], 1), rm, rv, training: true, momentum: 0.5f, eps: 0f);
        Assert.Equal(0.5f * 1f + 0.5f * 2.5f, rm.Data[0], 6);
        Assert.Equal(0.5f * 1f + 0.5f * 5f / 3f, rv.Data[0], 6);
        Assert.Equal(-1.5f / MathF.Sqrt(1.25f), y.Data[0], 5);
    }

    [Fact]
    public void BatchNorm2d_Inference_LeavesRunningStatsUnchanged()
    {
        Tensor x = Tensor.RandomNormal(new Random(1), 2, 3, 4, 4);
        Tensor rm = Tensor.FromArray([0.1f, 0.2f, 0.3f]), rv = Tensor.FromArray([1f, 2f, 3f]);
        Tensors.Ops.BatchNorm2d(x, Tensor.Full(1f, 3), Tensor.Zeros(3), rm, rv, training: false);
        Assert.Equal([0.1f, 0.2f, 0.3f], rm.ToArray());
        Assert.Equal([1f, 2f, 3f], rv.ToArray());
    }

    [Fact]
    public void BatchNorm2d_EvalInputGradientOnly_IsDyScaledByWeightOverStd()
    {
        // Fixed statistics, parameters not watched: dx = dy · weight / √(running_var + eps), the fast path without sums.
        var rng = new Random(4);
        Tensor x = Tensor.RandomNormal(rng, 3, 5, 6, 7), w = Tensor.RandomNormal(rng, 5), b = Tensor.RandomNormal(rng, 5);
        Tensor rm = Tensor.RandomNormal(rng, 5), rv = Tensor.RandomUniform(rng, 0.5f, 2f, 5), dy = Tensor.RandomNormal(rng, 3, 5, 6, 7);
        using var tape = new Tape();
        Tensor xs = tape.Watch(x.Clone());
        GradStore g = tape.Backward(Tensors.Ops.BatchNorm2d(xs, w, b, rm, rv, training: false, eps: 1e-3f), dy);
        var expected = new float[x.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            int ch = i / 42 % 5;
            expected[i] = (float)(dy.Data[i] * (double)w.Data[ch] / Math.Sqrt(rv.Data[ch] + 1e-3));
        }
        TensorAssert.GradClose(Tensor.FromArray(expected, 3, 5, 6, 7), g[xs]!, "eval dx");
    }

    [Fact]
    public void BatchNorm2d_SameInputsTwice_GivesBitIdenticalResults()
    {
        var rng = new Random(3);
        Tensor x = Tensor.RandomNormal(rng, 4, 6, 7, 5), w = Tensor.RandomNormal(rng, 6), b = Tensor.RandomNormal(rng, 6);
        Tensor dy = Tensor.RandomNormal(rng, 4, 6, 7, 5);
        float[][] Run()
        {
            using var tape = new Tape();
            Tensor xs = tape.Watch(x.Clone()), ws = tape.Watch(w.Clone()), bs = tape.Watch(b.Clone());
            Tensor rm = Tensor.Zeros(6), rv = Tensor.Full(1f, 6);
            Tensor y = Tensors.Ops.BatchNorm2d(xs, ws, bs, rm, rv, training: true);
            GradStore g = tape.Backward(y, dy);
            return [y.ToArray(), rm.ToArray(), rv.ToArray(), g[xs]!.ToArray(), g[ws]!.ToArray(), g[bs]!.ToArray()];
        }
        float[][] first = Run(), second = Run();
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], second[i]);
    }

    [Fact]
    public void BatchNorm2d_WrongShapes_ThrowNamingOpAndShapes()
    {
        Tensor x = Tensor.Zeros(2, 3, 4, 4), p = Tensor.Zeros(3), bad = Tensor.Zeros(4);
        AssertThrowsNaming(() => Tensors.Ops.BatchNorm2d(x, bad, p, p, p, false), "[4]", "[2, 3, 4, 4]");
        AssertThrowsNaming(() => Tensors.Ops.BatchNorm2d(x, p, p, p, bad, true), "[4]", "[2, 3, 4, 4]");
        AssertThrowsNaming(() => Tensors.Ops.BatchNorm2d(Tensor.Zeros(2, 3, 4), p, p, p, p, false), "[2, 3, 4]", "[N, C, H, W]");
        AssertThrowsNaming(() => Tensors.Ops.BatchNorm2d(Tensor.Zeros(1, 3, 1, 1), p, p, p, p, true), "[1, 3, 1, 1]", "more than one value");
    }

    private static void AssertThrowsNaming(Action act, string a, string b)
    {
        var e = Assert.Throws<ArgumentException>(act);
        Assert.Contains("batch_norm2d", e.Message);
        Assert.Contains(a, e.Message);
        Assert.Contains(b, e.Message);
    }
}
