// Dropout cannot match torch's RNG stream, so it is checked by statistics, determinism and the gradient's use of
// the same mask as the forward.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;
using T = Unravel.Tensors.Ops;

namespace Unravel.Tensors.Tests.Ops;

public sealed class DropoutTests
{
    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void Dropout_Training_KeepsAboutOneMinusPAndScalesKept(float p)
    {
        const int n = 20_000;
        Tensor x = Tensor.RandomUniform(new Random(1), 0.5f, 2f, 100, n / 100);
        Tensor y = T.Dropout(x, p, training: true, new Random(42));
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            if (y.Data[i] == 0f) continue;
            kept++;
            // x · (1 / (1-p)) as torch does (mask scaled, then multiplied): within an ulp or two of x / (1-p).
            float expected = x.Data[i] / (1f - p);
            Assert.InRange(y.Data[i], expected * (1 - 1e-6f), expected * (1 + 1e-6f));
        }
        // Binomial(n, 1-p): mean n(1-p), sd √(n p (1-p)); 5 sd is a bound that a correct sampler essentially never exceeds.
        double mean = n * (1 - p), sd = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(kept, mean - 5 * sd, mean + 5 * sd);
    }

    [Fact]
    public void Dropout_SameSeed_SameMask_DifferentSeed_DifferentMask()
    {
        Tensor x = Tensor.Full(1f, 64, 64);
        float[] a = T.Dropout(x, 0.3f, true, new Random(9)).ToArray();
        float[] b = T.Dropout(x, 0.3f, true, new Random(9)).ToArray();
        float[] c = T.Dropout(x, 0.3f, true, new Random(10)).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Dropout_Backward_UsesForwardMask()
    {
        // y = x·m ⇒ dx = dy·m, and m = y / x where x ≠ 0.
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.RandomUniform(new Random(2), 1f, 2f, 7, 13));
        Tensor y = T.Dropout(x, 0.4f, true, new Random(3));
        Tensor dy = Tensor.RandomNormal(new Random(4), 7, 13);
        GradStore g = tape.Backward(y, dy);
        var expected = new float[x.Length];
        for (int i = 0; i < x.Length; i++) expected[i] = dy.Data[i] * (y.Data[i] / x.Data[i]);
        TensorAssert.GradClose(Tensor.FromArray(expected, 7, 13), g[x]!, "dropout dx");
    }

    [Fact]
    public void Dropout_CentralDifference()
    {
        // A fresh Random with the same seed per call reproduces the mask, so the function is fixed and linear in x.
        Tensor x = Tensor.RandomNormal(new Random(5), 4, 6);
        GradCheck.Check(t => T.Dropout(t[0], 0.3f, true, new Random(6)), [x], "dropout");
    }

    [Theory]
    [InlineData(0.5f, false)]
    [InlineData(0f, true)]
    public void Dropout_EvalOrZeroP_IsIdentityViewWithIdentityGradient(float p, bool training)
    {
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.RandomNormal(new Random(7), 3, 4));
        Tensor y = T.Dropout(x, p, training, new Random(8));
        Assert.NotSame(x, y);
        Assert.Equal(x.ToArray(), y.ToArray());
        Assert.True(y.IsTracked);
        Assert.Equal("dropout", tape.Nodes[^1].Op);
        Tensor dy = Tensor.RandomNormal(new Random(9), 3, 4);
        Assert.Equal(dy.ToArray(), tape.Backward(y, dy)[x]!.ToArray());
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void Dropout_POutsideZeroToOne_ThrowsNamingOpAndShape(float p)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => T.Dropout(Tensor.Zeros(2, 5), p, true, new Random(1)));
        Assert.Contains("dropout", e.Message);
        Assert.Contains("[2, 5]", e.Message);
        Assert.ThrowsAny<ArgumentException>(() => T.Dropout(Tensor.Zeros(2, 5), p, false, new Random(1)));
    }
}
