using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class CausalSelfAttentionTests
{
    public static TheoryData<string> Cases => OpCase.Names("attention", "causal_self_attention");

    [Theory]
    [MemberData(nameof(Cases))]
    public void CausalSelfAttention_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("attention", name);
        OpCheck.ForwardAndBackward(c, x => Tensors.Ops.CausalSelfAttention(x["qkv"], c.Int("heads")));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CausalSelfAttention_Probs_MatchPyTorch(string name)
    {
        OpCase c = OpCase.Get("attention", name);
        Tensor y = Tensors.Ops.CausalSelfAttention(c.Input("qkv"), c.Int("heads"), out Tensor probs);
        TensorAssert.ForwardClose(c.Output(), y, $"{name} y");
        TensorAssert.ForwardClose(c.Output("probs"), probs, $"{name} probs");
    }

    [Theory]
    [InlineData(1, 4, 1, 4)]
    [InlineData(2, 5, 2, 6)]
    [InlineData(1, 3, 3, 3)]
    public void CausalSelfAttention_CentralDifference(int b, int t, int heads, int c)
    {
        Tensor qkv = Tensor.RandomNormal(new Random(41), b, t, 3 * c);
        GradCheck.Check(x => Tensors.Ops.CausalSelfAttention(x[0], heads), [qkv], "causal_self_attention", maxPoints: 60);
    }

    [Fact]
    public void CausalSelfAttention_FutureTokens_DoNotAffectEarlierOutputs()
    {
        var rng = new Random(42);
        Tensor qkv = Tensor.RandomNormal(rng, 1, 6, 12);
        Tensor y0 = Tensors.Ops.CausalSelfAttention(qkv, 2);
        Tensor changed = qkv.Clone();
        for (int i = 0; i < 12; i++) changed[0, 5, i] += 3f;   // perturb the last position only
        Tensor y1 = Tensors.Ops.CausalSelfAttention(changed, 2);
        TensorAssert.ForwardClose(Tensor.FromSpan(y0.Data[..(5 * 4)], [5, 4]), Tensor.FromSpan(y1.Data[..(5 * 4)], [5, 4]), "positions 0..4");
        Assert.NotEqual(y0[0, 5, 0], y1[0, 5, 0]);
    }

    [Fact]
    public void CausalSelfAttention_NotTracked_RecordsNothing()
    {
        using var tape = new Tape();
        Tensor y = Tensors.Ops.CausalSelfAttention(Tensor.RandomNormal(new Random(1), 1, 2, 6), 1);
        Assert.False(y.IsTracked);
        Assert.Empty(tape.Nodes);
    }

    [Theory]
    [InlineData(new[] { 2, 3, 10 }, 1)]   // last dim not 3C
    [InlineData(new[] { 2, 3, 12 }, 3)]   // C = 4 not divisible by 3 heads
    [InlineData(new[] { 3, 12 }, 2)]      // not 3-D
    public void CausalSelfAttention_WrongShape_ThrowsNamingOpAndShape(int[] shape, int heads)
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.CausalSelfAttention(Tensor.Zeros(shape), heads));
        Assert.Contains("causal_self_attention", e.Message);
        Assert.Contains(ShapeRules.Format(shape), e.Message);
    }
}
