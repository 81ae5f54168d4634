// Gradient, gradient × input and integrated gradients against closed forms.

using Unravel.Interpret.Attribution;
using Unravel.Tensors;
using Unravel.Testing;

namespace Unravel.Interpret.Tests.Attribution;

public sealed class GradientsTests
{
    private static readonly Tensor s_w = Tensor.FromArray([0.5f, -1f, 2f, 0.25f, 1.5f, -0.5f], 2, 3); // [K=2, D=3]
    private static readonly Tensor s_b = Tensor.FromArray([0.3f, -0.7f]);

    private static Tensor Linear(Tensor x) => Ops.Linear(x, s_w, s_b);

    [Fact]
    public void IntegratedGradients_LinearModel_EqualsDeltaTimesWeight()
    {
        // f_c(x) = w_c·x + b_c is linear, so IG_i = (x_i − x′_i) · w_ci exactly, for any step count.
        Tensor x = Tensor.FromArray([1f, 2f, -3f, 0.5f, -1f, 4f], 2, 3);
        Tensor x0 = Tensor.FromArray([0.1f, -0.2f, 0.3f, 1f, 1f, 1f], 2, 3);
        (Tensor ig, int[] classes) = Gradients.IntegratedGradients(Linear, x, new AttributionTarget([1, 0]), x0, steps: 3);
        Assert.Equal([1, 0], classes);
        float[] expected =
        [
            (1f - 0.1f) * 0.25f, (2f + 0.2f) * 1.5f, (-3f - 0.3f) * -0.5f,
            (0.5f - 1f) * 0.5f, (-1f - 1f) * -1f, (4f - 1f) * 2f,
        ];
        TensorAssert.Close(expected, ig.Data, 1e-6f, 1e-5f, "IG");
    }

    [Fact]
    public void IntegratedGradients_ReluMlp_SatisfiesCompleteness()
    {
        // Σ_i IG_i → f_c(x) − f_c(x′) as the step count grows (Sundararajan et al. 2017, completeness axiom).
        var rng = new Random(1);
        Tensor w1 = Tensor.RandomNormal(rng, 8, 4), b1 = Tensor.RandomNormal(rng, 8), w2 = Tensor.RandomNormal(rng, 3, 8);
        Tensor Mlp(Tensor x) => Ops.Linear(Ops.Relu(Ops.Linear(x, w1, b1)), w2);
        Tensor input = Tensor.RandomNormal(rng, 1, 4);
        (Tensor ig, int[] classes) = Gradients.IntegratedGradients(Mlp, input, steps: 2000);
        Tensor y = Mlp(input), y0 = Mlp(Tensor.Zeros(1, 4));
        double expected = y.Data[classes[0]] - y0.Data[classes[0]];
        Assert.InRange(ig.ToArray().Sum() - expected, -2e-3 * Math.Abs(expected) - 1e-4, 2e-3 * Math.Abs(expected) + 1e-4);
    }

    [Fact]
    public void GradientTimesInput_LinearModel_EqualsInputTimesWeight()
    {
        Tensor x = Tensor.FromArray([1f, 2f, -3f], 1, 3);
        (Tensor g, int[] classes) = Gradients.GradientTimesInput(Linear, x);
        // logits: 0.5 − 2 − 6 + 0.3 = −7.2, 0.25 + 3 − 1.5 − 0.7 = 1.05 → class 1.
        Assert.Equal([1], classes);
        TensorAssert.Close([0.25f, 3f, 1.5f], g.Data, 1e-6f, 1e-6f, "g×x");
    }

    [Fact]
    public void IntegratedGradients_ZeroSteps_Throws() =>
        Assert.Throws<ArgumentException>(() => Gradients.IntegratedGradients(Linear, Tensor.Zeros(1, 3), steps: 0));
}
