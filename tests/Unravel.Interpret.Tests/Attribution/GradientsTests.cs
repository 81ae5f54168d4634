// Gradient, gradient × input and integrated gradients against closed forms.

using Unravel.Interpret.Attribution;
using Unravel.Models;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors.Autograd;
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

    /// <summary>Gradient runs a ResNet's conv → BN → ReLU chains as fused tape nodes (Tape.FuseInference); the input gradient
    /// must equal the one through the ordinary graph of separate ops (here with non-trivial batch-norm statistics).</summary>
    [Fact]
    public void Gradient_ResNetInEvalMode_FusedChainsEqualSeparateOps()
    {
        RootModule model = ModelRegistry.Get("small-resnet").Create(WeightSource.Initialize(3));
        Support.BatchNorms.Randomise(model, seed: 7);
        model.Eval();
        var classifier = (IImageClassifier)model;
        Tensor images = Tensor.RandomUniform(new Random(8), 0f, 1f, 3, 1, 28, 28);
        var target = AttributionTarget.Class(4);

        (Tensor fused, _) = Gradients.Gradient(classifier.Forward, images, target);

        using var tape = new Tape();
        Tensor x = tape.Watch(images.Clone());
        Tensor logits = classifier.Forward(x);
        Assert.DoesNotContain(tape.Nodes, n => n.Op == "conv2d_affine");
        var seed = Tensor.Zeros(logits.Shape.ToArray());
        for (int row = 0; row < 3; row++) seed.Data[row * logits.Dim(1) + 4] = 1f;
        Tensor plain = tape.Backward(logits, seed)[x]!;

        TensorAssert.Close(plain, fused, 1e-5f, 1e-4f, "input gradient");
        using (var fusing = new Tape { FuseInference = true })
        {
            classifier.Forward(fusing.Watch(images.Clone()));
            Assert.Contains(fusing.Nodes, n => n.Op == "conv2d_affine");   // the path Gradient takes is the fused one
        }
        Assert.True(plain.Data.ToArray().Max(Math.Abs) > 1e-3f, "gradient vanished; nothing tested");
    }
}
