using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class LayerNormTests
{
    public static TheoryData<string> Cases => OpCase.Names("norm", "layer_norm");

    [Theory]
    [MemberData(nameof(Cases))]
    public void LayerNorm_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("norm", name);
        OpCheck.ForwardAndBackward(c, x => Tensors.Ops.LayerNorm(x["x"], x.GetValueOrDefault("w"), x.GetValueOrDefault("b"),
            c.Float("eps"), c.Int("normalized_dims")));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public void LayerNorm_CentralDifference(bool withWeight, bool withBias)
    {
        var rng = new Random(31);
        Tensor x = Tensor.RandomNormal(rng, 3, 6), w = Tensor.RandomNormal(rng, 6), b = Tensor.RandomNormal(rng, 6);
        List<Tensor> inputs = [x];
        if (withWeight) inputs.Add(w);
        if (withBias) inputs.Add(b);
        GradCheck.Check(t => Tensors.Ops.LayerNorm(t[0], withWeight ? t[1] : null, withBias ? t[withWeight ? 2 : 1] : null),
            [.. inputs], "layer_norm");
    }

    [Fact]
    public void LayerNorm_TwoNormalizedDims_CentralDifference()
    {
        var rng = new Random(32);
        GradCheck.Check(t => Tensors.Ops.LayerNorm(t[0], t[1], t[2], normalizedDims: 2),
            [Tensor.RandomNormal(rng, 2, 3, 4), Tensor.RandomNormal(rng, 3, 4), Tensor.RandomNormal(rng, 3, 4)], "layer_norm 2 dims");
    }

    [Fact]
    public void LayerNorm_WrongWeightShape_ThrowsNamingOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.LayerNorm(Tensor.Zeros(2, 5), Tensor.Zeros(4)));
        Assert.Contains("layer_norm", e.Message);
        Assert.Contains("[2, 5]", e.Message);
        Assert.Contains("[4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensors.Ops.LayerNorm(Tensor.Zeros(2, 5), null, Tensor.Zeros(5, 1)));
        Assert.Contains("bias", e.Message);
        Assert.Contains("[5, 1]", e.Message);
    }

    [Fact]
    public void LayerNorm_TooManyNormalizedDims_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.LayerNorm(Tensor.Zeros(5), normalizedDims: 2));
        Assert.Contains("layer_norm", e.Message);
        Assert.Contains("[5]", e.Message);
    }
}
