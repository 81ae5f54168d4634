using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class MatMulTests
{
    public static TheoryData<string> Cases => OpCase.Names("matmul", "matmul", "bmm");
    public static TheoryData<string> LinearCases => OpCase.Names("matmul", "linear");

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatMul_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("matmul", name);
        OpCheck.ForwardAndBackward(c, x => c.Op == "bmm" ? Tensors.Ops.BatchedMatMul(x["a"], x["b"]) : Tensors.Ops.MatMul(x["a"], x["b"]));
    }

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void Linear_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("matmul", name);
        OpCheck.ForwardAndBackward(c, x => Tensors.Ops.Linear(x["x"], x["w"], x.GetValueOrDefault("b")));
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 4, 5 })]
    [InlineData(new[] { 2, 1, 3, 4 }, new[] { 3, 4, 2 })]
    [InlineData(new[] { 3, 4 }, new[] { 2, 4, 5 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 4, 5 })]
    [InlineData(new[] { 4 }, new[] { 2, 4, 3 })]
    [InlineData(new[] { 5 }, new[] { 5 })]
    public void MatMul_CentralDifference(int[] sa, int[] sb)
    {
        var rng = new Random(11);
        Tensor a = Tensor.RandomNormal(rng, sa), b = Tensor.RandomNormal(rng, sb);
        GradCheck.Check(x => Tensors.Ops.MatMul(x[0], x[1]), [a, b], "matmul");
    }

    [Fact]
    public void BatchedMatMul_CentralDifference()
    {
        var rng = new Random(12);
        GradCheck.Check(x => Tensors.Ops.BatchedMatMul(x[0], x[1]),
            [Tensor.RandomNormal(rng, 3, 2, 5), Tensor.RandomNormal(rng, 3, 5, 4)], "bmm");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Linear_CentralDifference(bool withBias)
    {
        var rng = new Random(13);
        Tensor x = Tensor.RandomNormal(rng, 2, 3, 5), w = Tensor.RandomNormal(rng, 4, 5), b = Tensor.RandomNormal(rng, 4);
        if (withBias) GradCheck.Check(t => Tensors.Ops.Linear(t[0], t[1], t[2]), [x, w, b], "linear");
        else GradCheck.Check(t => Tensors.Ops.Linear(t[0], t[1]), [x, w], "linear");
    }

    [Fact]
    public void MatMul_BroadcastBatch_EqualsPerBatchProducts()
    {
        // a [2, 1, 3, 4] · b [3, 4, 2]: output batch (i, j) uses a[i, 0] and b[j].
        var rng = new Random(5);
        Tensor a = Tensor.RandomNormal(rng, 2, 1, 3, 4), b = Tensor.RandomNormal(rng, 3, 4, 2);
        Tensor y = Tensors.Ops.MatMul(a, b);
        Assert.Equal([2, 3, 3, 2], y.Shape.ToArray());
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int r = 0; r < 3; r++)
                    for (int col = 0; col < 2; col++)
                    {
                        double s = 0;
                        for (int p = 0; p < 4; p++) s += a[i, 0, r, p] * b[j, p, col];
                        Assert.Equal(s, y[i, j, r, col], 4);
                    }
    }

    [Fact]
    public void MatMul_BroadcastBatch_GradientSumsOverBroadcastCopies()
    {
        // b [4, 2] broadcast against a [3, 2, 4] is used by all three batches, so dB = Σ_batches Aᵀ·dY.
        var rng = new Random(6);
        Tensor a = Tensor.RandomNormal(rng, 3, 2, 4), b = Tensor.RandomNormal(rng, 1, 4, 2);
        using var tape = new Tape();
        tape.Watch(a);
        tape.Watch(b);
        GradStore g = tape.Backward(Tensors.Ops.MatMul(a, b));
        for (int p = 0; p < 4; p++)
            for (int col = 0; col < 2; col++)
            {
                double s = 0;
                for (int n = 0; n < 3; n++)
                    for (int r = 0; r < 2; r++) s += a[n, r, p];   // dY = ones
                Assert.Equal(s, g[b]![0, p, col], 4);
            }
    }

    [Fact]
    public void MatMul_InnerMismatch_ThrowsNamingOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.MatMul(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)));
        Assert.Contains("matmul", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 5]", e.Message);
    }

    [Fact]
    public void MatMul_BatchNotBroadcastable_ThrowsNamingOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.MatMul(Tensor.Zeros(2, 3, 4), Tensor.Zeros(3, 4, 5)));
        Assert.Contains("matmul", e.Message);
        Assert.Contains("[2, 3, 4]", e.Message);
        Assert.Contains("[3, 4, 5]", e.Message);
    }

    [Fact]
    public void MatMul_Scalar_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.MatMul(Tensor.Scalar(2f), Tensor.Zeros(3)));
        Assert.Contains("matmul", e.Message);
    }

    [Fact]
    public void BatchedMatMul_WrongRankOrBatch_ThrowsNamingOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.BatchedMatMul(Tensor.Zeros(3, 4), Tensor.Zeros(2, 4, 5)));
        Assert.Contains("bmm", e.Message);
        Assert.Contains("[3, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensors.Ops.BatchedMatMul(Tensor.Zeros(2, 3, 4), Tensor.Zeros(3, 4, 5)));
        Assert.Contains("bmm", e.Message);
        Assert.Contains("[2, 3, 4]", e.Message);
        Assert.Contains("[3, 4, 5]", e.Message);
    }

    [Fact]
    public void Linear_WrongShapes_ThrowNamingOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Linear(Tensor.Zeros(2, 5), Tensor.Zeros(3, 4)));
        Assert.Contains("linear", e.Message);
        Assert.Contains("[2, 5]", e.Message);
        Assert.Contains("[3, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Linear(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4), Tensor.Zeros(4)));
        Assert.Contains("linear", e.Message);
        Assert.Contains("[4]", e.Message);
        Assert.Contains("[3, 4]", e.Message);
    }

    [Fact]
    public void MatMul_ZeroInnerDimension_GivesZeros()
    {
        Tensor y = Tensors.Ops.MatMul(Tensor.Zeros(2, 0), Tensor.Zeros(0, 3));
        Assert.Equal([2, 3], y.Shape.ToArray());
        Assert.All(y.ToArray(), v => Assert.Equal(0f, v));
    }
}
