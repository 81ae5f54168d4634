using Unravel.Tensors.Autograd;

namespace Unravel.Tensors.Tests.Ops;

/// <summary>FrozenWeights: a frozen weight's packed form is built once and reused, results equal the unfrozen ones bit for
/// bit (and the direct convolution within rounding), and a weight changed inside the scope is reported on Dispose.</summary>
public class FrozenWeightsTests
{
    /// <summary>Forward and input gradient through the packed path (stride 1 and 2, grouped) and the Winograd path, with and
    /// without the weight frozen: bitwise equal; both agree with the direct convolution.</summary>
    [Theory]
    [InlineData(3, 1, 1, 1, 16, false)]
    [InlineData(3, 2, 1, 1, 16, false)]
    [InlineData(1, 1, 0, 1, 16, false)]
    [InlineData(3, 1, 1, 2, 16, false)]
    [InlineData(3, 1, 1, 1, 30, true)]
    public void Conv2d_FrozenWeight_EqualsUnfrozenAndDirect(int k, int stride, int padding, int groups, int size, bool winograd)
    {
        Conv2dAlgorithm algorithm = winograd ? Conv2dAlgorithm.Winograd : Conv2dAlgorithm.PackedGemm;
        var rng = new Random(11);
        Tensor x = Tensor.RandomNormal(rng, 3, 16, size, size), w = Tensor.RandomNormal(rng, 20, 16 / groups, k, k), b = Tensor.RandomNormal(rng, 20);
        var options = new Conv2dOptions { Stride = (stride, stride), Padding = (padding, padding), Groups = groups };
        Tensor dy = Tensor.RandomNormal(rng, Tensors.Ops.Conv2d(x, w, b, options, Conv2dAlgorithm.Direct).Shape.ToArray());

        (float[] Y, float[] Dx) Run(Conv2dAlgorithm alg)
        {
            using var tape = new Tape();
            Tensor xs = tape.Watch(x.Clone());
            Tensor y = Tensors.Ops.Conv2d(xs, w, b, options, alg);
            return (y.ToArray(), tape.Backward(y, dy)[xs]!.ToArray());
        }

        (float[] plainY, float[] plainDx) = Run(algorithm);
        (float[] directY, float[] directDx) = Run(Conv2dAlgorithm.Direct);
        using (FrozenWeights.Freeze([("conv.weight", w)]))
        {
            Assert.Equal(0, FrozenWeights.CachedForms(w));   // built on first use, not on freezing
            for (int call = 0; call < 2; call++)              // the second call reads the cached form
            {
                (float[] frozenY, float[] frozenDx) = Run(algorithm);
                Assert.Equal(plainY, frozenY);
                Assert.Equal(plainDx, frozenDx);
                Assert.Equal(2, FrozenWeights.CachedForms(w));   // forward panels and input-gradient panels
            }
        }
        Assert.Equal(0, FrozenWeights.CachedForms(w));
        AssertClose(directY, plainY);
        AssertClose(directDx, plainDx);
    }

    /// <summary>The fused conv → batch norm → residual → ReLU op reads the same cached panels as the plain convolution.</summary>
    [Fact]
    public void Conv2dAffine_FrozenWeight_EqualsUnfrozen()
    {
        var rng = new Random(12);
        Tensor x = Tensor.RandomNormal(rng, 2, 8, 9, 9), w = Tensor.RandomNormal(rng, 8, 8, 3, 3);
        Tensor scale = Tensor.RandomUniform(rng, 0.5f, 1.5f, 8), shift = Tensor.RandomNormal(rng, 8), residual = Tensor.RandomNormal(rng, 2, 8, 9, 9);
        float[] plain = Tensors.Ops.Conv2dAffine(x, w, null, new Conv2dOptions { Padding = (1, 1) }, scale, shift, residual, relu: true).ToArray();
        using (FrozenWeights.Freeze([("w", w)]))
        {
            Tensors.Ops.Conv2d(x, w, null, new Conv2dOptions { Padding = (1, 1) });
            Assert.Equal(1, FrozenWeights.CachedForms(w));
            float[] frozen = Tensors.Ops.Conv2dAffine(x, w, null, new Conv2dOptions { Padding = (1, 1) }, scale, shift, residual, relu: true).ToArray();
            Assert.Equal(1, FrozenWeights.CachedForms(w));
            Assert.Equal(plain, frozen);
        }
    }

    [Fact]
    public void Dispose_WeightChangedAfterPacking_ThrowsNamingIt()
    {
        var rng = new Random(13);
        Tensor x = Tensor.RandomNormal(rng, 1, 4, 6, 6), w = Tensor.RandomNormal(rng, 5, 4, 3, 3), untouched = Tensor.RandomNormal(rng, 5, 4, 3, 3);
        FrozenWeights scope = FrozenWeights.Freeze([("layer1.conv.weight", w), ("layer2.conv.weight", untouched)]);
        Tensors.Ops.Conv2d(x, w, null, new Conv2dOptions { Padding = (1, 1) }, Conv2dAlgorithm.PackedGemm);
        Tensors.Ops.Conv2d(x, untouched, null, new Conv2dOptions { Padding = (1, 1) }, Conv2dAlgorithm.PackedGemm);
        w.Data[w.Length / 2] += 1f;
        var e = Assert.Throws<InvalidOperationException>(scope.Dispose);
        Assert.Contains("layer1.conv.weight", e.Message);
        Assert.DoesNotContain("layer2.conv.weight", e.Message);
        Assert.Equal(0, FrozenWeights.CachedForms(w));   // released all the same
    }

    /// <summary>After the scope, a changed weight is packed afresh: the result follows the new values.</summary>
    [Fact]
    public void AfterDispose_ChangedWeight_IsUsed()
    {
        var rng = new Random(14);
        Tensor x = Tensor.RandomNormal(rng, 1, 4, 6, 6), w = Tensor.RandomNormal(rng, 5, 4, 3, 3);
        var o = new Conv2dOptions { Padding = (1, 1) };
        using (FrozenWeights.Freeze([("w", w)])) Tensors.Ops.Conv2d(x, w, null, o, Conv2dAlgorithm.PackedGemm);
        w.Data.Fill(0f);
        Assert.All(Tensors.Ops.Conv2d(x, w, null, o, Conv2dAlgorithm.PackedGemm).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void NestedScopes_InnerDispose_KeepsTheOuterCache()
    {
        var rng = new Random(15);
        Tensor x = Tensor.RandomNormal(rng, 1, 4, 6, 6), w = Tensor.RandomNormal(rng, 5, 4, 3, 3);
        var o = new Conv2dOptions { Padding = (1, 1) };
        using FrozenWeights outer = FrozenWeights.Freeze([("w", w)]);
        using (FrozenWeights.Freeze([("w", w)])) Tensors.Ops.Conv2d(x, w, null, o, Conv2dAlgorithm.PackedGemm);
        Assert.Equal(1, FrozenWeights.CachedForms(w));
        outer.Dispose();
        Assert.Equal(0, FrozenWeights.CachedForms(w));
    }

    [Fact]
    public void Checksum_ChangesWithAnyElement()
    {
        float[] data = Enumerable.Range(0, 37).Select(i => (float)Math.Sin(i)).ToArray();
        ulong original = FrozenWeights.Checksum(data);
        for (int i = 0; i < data.Length; i++)
        {
            float saved = data[i];
            data[i] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(saved) ^ 1);   // lowest mantissa bit
            Assert.NotEqual(original, FrozenWeights.Checksum(data));
            data[i] = saved;
        }
        (data[3], data[20]) = (data[20], data[3]);   // same values, other places
        Assert.NotEqual(original, FrozenWeights.Checksum(data));
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"element {i}: {actual[i]} vs {expected[i]}");
    }
}
