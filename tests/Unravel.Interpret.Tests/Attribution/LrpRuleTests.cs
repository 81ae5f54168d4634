// Every affine rule against the slow matrix-form reference (SlowLrp.cs), for a dense layer and for convolutions with
// stride and padding; inputs of both signs so that the x⁻ terms matter.

using Unravel.Interpret.Attribution;
using Unravel.Interpret.Attribution.Rules;
using Unravel.Tensors;
using Unravel.Testing;

namespace Unravel.Interpret.Tests.Attribution;

public sealed class LrpRuleTests
{
    public static TheoryData<string> RuleNames => ["epsilon", "epsilon0.5", "zplus", "alpha2beta1", "alpha1beta0", "gamma", "flat", "wsquare", "zbox"];

    private static (AffineRule Rule, Func<SlowLayer, float[], float[], float[]> Slow) Rule(string name) => name switch
    {
        "epsilon" => (new EpsilonRule(), (l, x, r) => SlowLrp.Epsilon(l, x, r, 1e-6)),
        "epsilon0.5" => (new EpsilonRule(0.5f), (l, x, r) => SlowLrp.Epsilon(l, x, r, 0.5)),
        "zplus" => (new ZPlusRule(), SlowLrp.ZPlus),
        "alpha2beta1" => (new AlphaBetaRule(2, 1), (l, x, r) => SlowLrp.AlphaBeta(l, x, r, 2, 1)),
        "alpha1beta0" => (new AlphaBetaRule(1, 0), (l, x, r) => SlowLrp.AlphaBeta(l, x, r, 1, 0)),
        "gamma" => (new GammaRule(0.25f), (l, x, r) => SlowLrp.Gamma(l, x, r, 0.25)),
        "flat" => (new FlatRule(), (l, _, r) => SlowLrp.Flat(l, r)),
        "wsquare" => (new WSquareRule(), (l, _, r) => SlowLrp.WSquare(l, r)),
        "zbox" => (new ZBoxRule([-2f], [2f]), (l, x, r) => SlowLrp.ZBox(l, x, r, -2, 2)),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(RuleNames))]
    public void Rule_DenseLayer_MatchesMatrixFormReference(string name)
    {
        var rng = new Random(3);
        const int n = 3, inF = 6, outF = 4;
        Tensor x = Tensor.RandomNormal(rng, n, inF), w = Tensor.RandomNormal(rng, outF, inF), b = Tensor.RandomNormal(rng, outF);
        Tensor r = Tensor.RandomNormal(rng, n, outF);
        (AffineRule rule, var slow) = Rule(name);
        Tensor actual = rule.Propagate(new AffineLayer("fc", w, b, null), x, r);
        float[] expected = slow(SlowLayer.Dense(n, inF, outF, w.ToArray(), b.ToArray()), x.ToArray(), r.ToArray());
        TensorAssert.Close(expected, actual.Data, 1e-4f, 1e-3f, $"{name} dense");
    }

    [Theory]
    [MemberData(nameof(RuleNames))]
    public void Rule_ConvolutionStridedPadded_MatchesMatrixFormReference(string name)
    {
        var rng = new Random(5);
        const int n = 2, c = 3, h = 6, wd = 5, o = 4, k = 3, stride = 2, pad = 1;
        Tensor x = Tensor.RandomNormal(rng, n, c, h, wd), w = Tensor.RandomNormal(rng, o, c, k, k), b = Tensor.RandomNormal(rng, o);
        var opts = new Conv2dOptions { Stride = (stride, stride), Padding = (pad, pad) };
        int oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
        Tensor r = Tensor.RandomNormal(rng, n, o, oh, ow);
        (AffineRule rule, var slow) = Rule(name);
        Tensor actual = rule.Propagate(new AffineLayer("conv", w, b, opts), x, r);
        float[] expected = slow(SlowLayer.Conv(n, c, h, wd, o, k, stride, pad, w.ToArray(), b.ToArray()), x.ToArray(), r.ToArray());
        TensorAssert.Close(expected, actual.Data, 1e-4f, 1e-3f, $"{name} conv");
    }

    [Fact]
    public void ZPlus_NonNegativeInputWithoutBias_ConservesRelevance()
    {
        var rng = new Random(9);
        Tensor x = Tensor.RandomUniform(rng, 0f, 1f, 2, 3, 5, 5), w = Tensor.RandomNormal(rng, 4, 3, 3, 3);
        Tensor r = Tensor.RandomUniform(rng, 0f, 1f, 2, 4, 5, 5);
        Tensor rin = new ZPlusRule().Propagate(new AffineLayer("conv", w, null, new Conv2dOptions { Padding = (1, 1) }), x, r);
        double sumIn = r.ToArray().Sum(), sumOut = rin.ToArray().Sum();
        Assert.InRange(Math.Abs(sumIn - sumOut) / sumIn, 0, 1e-4);
    }

    [Fact]
    public void AlphaBeta_AlphaMinusBetaNotOne_Throws() =>
        Assert.Throws<ArgumentException>(() => new AlphaBetaRule(2, 2));

    [Fact]
    public void NormRule_ResidualSum_SplitsProportionally()
    {
        // y = a + b; R_a = a / (a + b) · R, R_b = b / (a + b) · R (closed form).
        using var tape = new Unravel.Tensors.Autograd.Tape();
        Tensor a = tape.Watch(Tensor.FromArray([1f, -2f, 3f]));
        Tensor b = tape.Watch(Tensor.FromArray([3f, 4f, -1f]));
        Tensor y = a + b;
        Tensor r = Tensor.FromArray([2f, 1f, 4f]);
        var grads = tape.Backward(y, r, rule: _ => (node, dy, g) => new NormRule(0f).Propagate(node, dy, g));
        TensorAssert.Close([0.5f, -1f, 6f], grads[a]!.Data, 1e-6f, 1e-6f, "R_a");
        TensorAssert.Close([1.5f, 2f, -2f], grads[b]!.Data, 1e-6f, 1e-6f, "R_b");
    }
}
