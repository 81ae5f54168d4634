using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class BinaryOpTests
{
    public static TheoryData<string> Cases => OpCase.Names("binary");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Binary_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("binary", name);
        OpCheck.ForwardAndBackward(c, x => c.Op switch
        {
            "add" => x["a"] + x["b"],
            "sub" => x["a"] - x["b"],
            "mul" => x["a"] * x["b"],
            "div" => x["a"] / x["b"],
            _ => throw new InvalidOperationException(c.Op),
        });
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 2, 1, 5 }, new[] { 3, 1 })]
    [InlineData(new int[0], new[] { 2, 3 })]
    public void Binary_CentralDifference(int[] sa, int[] sb)
    {
        var rng = new Random(3);
        Tensor a = Tensor.RandomNormal(rng, sa), b = Tensor.RandomUniform(rng, 0.5f, 2f, sb);
        GradCheck.Check(x => Tensors.Ops.Add(x[0], x[1]), [a, b], "add");
        GradCheck.Check(x => Tensors.Ops.Sub(x[0], x[1]), [a, b], "sub");
        GradCheck.Check(x => Tensors.Ops.Mul(x[0], x[1]), [a, b], "mul");
        GradCheck.Check(x => Tensors.Ops.Div(x[0], x[1]), [a, b], "div");
    }

    [Fact]
    public void Add_ShapesDoNotBroadcast_ThrowsNamingOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Add(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.Contains("add", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
    }
}
