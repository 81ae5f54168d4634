using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class EmbeddingTests
{
    public static TheoryData<string> Cases => OpCase.Names("loss", "embedding");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Embedding_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("loss", name);
        int[] indices = c.IntInput("indices");
        int[] indexShape = c.Input("indices").Shape.ToArray();
        OpCheck.ForwardAndBackward(c, x => Tensors.Ops.Embedding(indices, indexShape, x["w"]));
    }

    [Fact]
    public void Embedding_CentralDifference()
    {
        Tensor w = Tensor.RandomNormal(new Random(61), 5, 3);
        GradCheck.Check(x => Tensors.Ops.Embedding([4, 0, 4, 2], [2, 2], x[0]), [w], "embedding");
    }

    [Fact]
    public void Embedding_RepeatedIndex_AccumulatesGradient()
    {
        // Row 1 is gathered three times, so its gradient is the sum of the three dy rows.
        using var tape = new Tape();
        Tensor w = tape.Watch(Tensor.RandomNormal(new Random(62), 3, 2));
        Tensor y = Tensors.Ops.Embedding([1, 0, 1, 1], [4], w);
        Tensor dy = Tensor.FromArray([1f, 2f, 10f, 20f, 100f, 200f, 1000f, 2000f], 4, 2);
        GradStore g = tape.Backward(y, dy);
        TensorAssert.ForwardClose(Tensor.FromArray([10f, 20f, 1101f, 2202f, 0f, 0f], 3, 2), g[w]!, "dWeight");
    }

    [Fact]
    public void Embedding_IndexOutOfRange_ThrowsNamingIndexAndVocabulary()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Embedding([0, 7], [2], Tensor.Zeros(5, 3)));
        Assert.Contains("embedding", e.Message);
        Assert.Contains("index 7", e.Message);
        Assert.Contains("vocabulary size 5", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Embedding([-1], [1], Tensor.Zeros(5, 3)));
        Assert.Contains("index -1", e.Message);
    }

    [Fact]
    public void Embedding_WrongShapes_ThrowNamingOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Embedding([0, 1, 2], [2, 2], Tensor.Zeros(5, 3)));
        Assert.Contains("embedding", e.Message);
        Assert.Contains("[2, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Embedding([0], [1], Tensor.Zeros(5)));
        Assert.Contains("[5]", e.Message);
    }
}
