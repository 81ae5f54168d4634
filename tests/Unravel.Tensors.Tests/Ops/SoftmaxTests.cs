using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class SoftmaxTests
{
    public static TheoryData<string> Cases => OpCase.Names("norm", "softmax", "log_softmax");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Softmax_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("norm", name);
        int axis = c.Int("axis");
        OpCheck.ForwardAndBackward(c, x => c.Op == "softmax" ? Tensors.Ops.Softmax(x["x"], axis) : Tensors.Ops.LogSoftmax(x["x"], axis));
    }

    [Theory]
    [InlineData(new[] { 3, 5 }, -1)]
    [InlineData(new[] { 3, 5 }, 0)]
    [InlineData(new[] { 2, 3, 4 }, 1)]
    [InlineData(new[] { 7 }, 0)]
    public void Softmax_CentralDifference(int[] shape, int axis)
    {
        Tensor x = Tensor.RandomNormal(new Random(21), shape);
        GradCheck.Check(t => Tensors.Ops.Softmax(t[0], axis), [x], "softmax");
        GradCheck.Check(t => Tensors.Ops.LogSoftmax(t[0], axis), [x], "log_softmax");
    }

    [Fact]
    public void Softmax_SpecialValues_MatchTorch()
    {
        // torch.softmax / log_softmax (1.13): a row with +Inf, with NaN or with only -Inf is all NaN;
        // -Inf next to finite values gets probability 0 (log-probability -Inf).
        float inf = float.PositiveInfinity, nan = float.NaN;
        Tensor x = Tensor.FromArray([1f, inf, 0f, /**/ -inf, -inf, -inf, /**/ 1f, nan, 2f, /**/ 1f, -inf, 2f], 4, 3);
        Tensor y = Tensors.Ops.Softmax(x), l = Tensors.Ops.LogSoftmax(x);
        float p1 = 1f / (1f + MathF.E), p2 = MathF.E / (1f + MathF.E);
        TensorAssert.ForwardClose(Tensor.FromArray([nan, nan, nan, nan, nan, nan, nan, nan, nan, p1, 0f, p2], 4, 3), y, "softmax");
        TensorAssert.ForwardClose(
            Tensor.FromArray([nan, nan, nan, nan, nan, nan, nan, nan, nan, MathF.Log(p1), -inf, MathF.Log(p2)], 4, 3), l, "log_softmax");
    }

    [Fact]
    public void Softmax_SpecialValuesAlongStridedAxis_MatchLastAxisResult()
    {
        float inf = float.PositiveInfinity, nan = float.NaN;
        Tensor rows = Tensor.FromArray([1f, inf, 0f, -inf, -inf, -inf, 1f, nan, 2f, 1f, -inf, 2f], 4, 3);
        Tensor cols = Tensor.Zeros(3, 4);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) cols[j, i] = rows[i, j];
        Tensor byCol = Tensors.Ops.Softmax(cols, 0), lByCol = Tensors.Ops.LogSoftmax(cols, 0);
        Tensor back = Tensor.Zeros(4, 3), lBack = Tensor.Zeros(4, 3);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) { back[i, j] = byCol[j, i]; lBack[i, j] = lByCol[j, i]; }
        TensorAssert.ForwardClose(Tensors.Ops.Softmax(rows, -1), back, "softmax axis 0");
        TensorAssert.ForwardClose(Tensors.Ops.LogSoftmax(rows, -1), lBack, "log_softmax axis 0");
    }

    [Fact]
    public void Softmax_BadAxis_ThrowsNamingOpAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Softmax(Tensor.Zeros(2, 3), 2));
        Assert.Contains("softmax", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensors.Ops.LogSoftmax(Tensor.Zeros(2, 3), -3));
        Assert.Contains("log_softmax", e.Message);
        Assert.Contains("[2, 3]", e.Message);
    }

    [Fact]
    public void Softmax_Scalar_IsOne()
    {
        Assert.Equal(1f, Tensors.Ops.Softmax(Tensor.Scalar(3f)).ToScalar());
        Assert.Equal(0f, Tensors.Ops.LogSoftmax(Tensor.Scalar(3f)).ToScalar());
    }
}
