// Activation kernels against the scalar double references, over every length 0..257 (vector body + every tail),
// plus PyTorch's special values (NaN, ±Inf, ±0, huge, denormal) and the aliasing rules.

using Unravel.Tensors.Kernels;
using Unravel.Tensors.Tests.Support;
using R = Unravel.Tensors.Tests.Kernels.ActivationReference;

namespace Unravel.Tensors.Tests.Kernels;

public sealed class ActivationKernelTests
{
    private delegate void Forward(ReadOnlySpan<float> x, Span<float> y);
    private delegate void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> v, Span<float> dx);

    // The kernels are far more accurate than the fixture tolerances. Forward: a few ulps plus the ~1.2e-7 relative
    // error of the erfc fit. Backward: dx = dx0 + dy·f' with |dy| ≤ 2 and f' = Φ + xφ adds ~2e-7 (measured max
    // 3.6e-7 absolute for GELU-erf at x ≈ 0.3).
    private const float ForwardAtol = 1e-7f, ForwardRtol = 4e-7f, BackwardAtol = 1e-6f, BackwardRtol = 1e-6f;

    private static readonly Dictionary<string, (Forward Kernel, Func<double, double> Reference)> s_forward = new()
    {
        ["relu"] = (Activations.Relu, R.Relu),
        ["gelu_erf"] = (Activations.GeluErf, R.GeluErf),
        ["gelu_tanh"] = (Activations.GeluTanh, R.GeluTanh),
        ["sigmoid"] = (Activations.Sigmoid, R.Sigmoid),
        ["tanh"] = (Activations.Tanh, Math.Tanh),
    };

    // v is the kernel's second span: the input x, or the output y for sigmoid/tanh (as PyTorch).
    private static readonly Dictionary<string, (Backward Kernel, Func<double, double> Derivative, float Lo, float Hi)> s_backward = new()
    {
        ["relu"] = (Activations.ReluBackward, R.ReluGrad, -12f, 12f),
        ["gelu_erf"] = (Activations.GeluErfBackward, R.GeluErfGrad, -12f, 12f),
        ["gelu_tanh"] = (Activations.GeluTanhBackward, R.GeluTanhGrad, -12f, 12f),
        ["sigmoid"] = (Activations.SigmoidBackward, R.SigmoidGradFromOutput, 0f, 1f),
        ["tanh"] = (Activations.TanhBackward, R.TanhGradFromOutput, -1f, 1f),
    };

    public static TheoryData<string> Names => ["relu", "gelu_erf", "gelu_tanh", "sigmoid", "tanh"];

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_EveryLength0To257_MatchesScalarReference(string name)
    {
        (Forward kernel, Func<double, double> reference) = s_forward[name];
        var rng = new Random(11);
        for (int n = 0; n <= 257; n++)
        {
            float[] x = Uniform(rng, n, -12f, 12f);
            // Two guard elements past the end must stay untouched.
            float[] y = Enumerable.Repeat(-7f, n + 2).ToArray();
            kernel(x, y);
            float[] expected = x.Select(v => (float)reference(v)).ToArray();
            TensorAssert.Close(expected, y.AsSpan(0, n), ForwardAtol, ForwardRtol, $"{name} n={n}");
            Assert.Equal(-7f, y[n]);
            Assert.Equal(-7f, y[n + 1]);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_EveryLength0To257_AccumulatesScalarReference(string name)
    {
        (Backward kernel, Func<double, double> derivative, float lo, float hi) = s_backward[name];
        var rng = new Random(12);
        for (int n = 0; n <= 257; n++)
        {
            float[] dy = Uniform(rng, n, -2f, 2f), v = Uniform(rng, n, lo, hi), dx0 = Uniform(rng, n, -1f, 1f);
            float[] dx = [.. dx0, -7f];
            kernel(dy, v, dx);
            float[] expected = new float[n];
            for (int i = 0; i < n; i++) expected[i] = (float)(dx0[i] + (double)dy[i] * derivative(v[i]));
            TensorAssert.Close(expected, dx.AsSpan(0, n), BackwardAtol, BackwardRtol, $"{name} backward n={n}");
            Assert.Equal(-7f, dx[n]);
        }
    }

    // Inputs and the values torch 1.13 (CPU) returns for them: torch.nn.functional.relu / gelu / gelu(approximate=
    // 'tanh') / torch.sigmoid / torch.tanh and the gradient of y.sum(). Note gelu(-Inf) = NaN (torch computes
    // -Inf · 0) and the tanh-GELU gradient overflows to NaN once x³ does (|x| ≥ ~1e13), in torch as here.
    private static readonly float[] s_special =
        [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 3.4e38f, -3.4e38f, 1e20f, -1e20f, 1e-45f, -1e-45f, 88f, -88f, 15f, -15f, -40f];

    private const float N = float.NaN, Inf = float.PositiveInfinity;

    private static readonly Dictionary<string, (float[] Y, float[] Dx)> s_torchSpecial = new()
    {
        ["relu"] = ([N, Inf, 0, 0, 0, 3.4e38f, 0, 1e20f, 0, 1e-45f, 0, 88, 0, 15, 0, 0],
                    [1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0]),
        ["gelu_erf"] = ([N, Inf, N, 0, 0, 3.4e38f, 0, 1e20f, 0, 0, 0, 88, 0, 15, 0, 0],
                        [N, N, N, 0.5f, 0.5f, 1, 0, 1, 0, 0.5f, 0.5f, 1, 0, 1, 0, 0]),
        ["gelu_tanh"] = ([N, Inf, N, 0, 0, 3.4e38f, 0, 1e20f, 0, 0, 0, 88, 0, 15, 0, 0],
                         [N, N, N, 0.5f, 0.5f, N, N, N, N, 0.5f, 0.5f, 1, 0, 1, 0, 0]),
        ["sigmoid"] = ([N, 1, 0, 0.5f, 0.5f, 1, 0, 1, 0, 0.5f, 0.5f, 1, 6.054601485195952e-39f, 0.9999996423721313f, 3.0590220490012143e-07f, 4.24835413113866e-18f],
                       [N, 0, 0, 0.25f, 0.25f, 0, 0, 0, 0, 0.25f, 0.25f, 0, 6.054601485195952e-39f, 3.5762775496550603e-07f, 3.0590211963499314e-07f, 4.24835413113866e-18f]),
        ["tanh"] = ([N, 1, -1, 0, 0, 1, -1, 1, -1, 1e-45f, -1e-45f, 1, -1, 1, -1, -1],
                    [N, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void SpecialValues_ForwardAndGradient_MatchPyTorch(string name)
    {
        // Repeated 3× so the values go through both the vector body and the tail.
        float[] x = [.. s_special, .. s_special, .. s_special];
        (float[] yTorch, float[] dxTorch) = s_torchSpecial[name];
        float[] y = new float[x.Length];
        s_forward[name].Kernel(x, y);
        // The rtol covers sigmoid's 1 ulp near 1; the atol ignores sign-of-zero and denormal rounding.
        TensorAssert.Close([.. yTorch, .. yTorch, .. yTorch], y, 1e-37f, 1e-6f, $"{name} special forward");

        // Gradient of y.sum(): dy = 1. Sigmoid and tanh differentiate through their output, as torch does.
        float[] v = name is "sigmoid" or "tanh" ? y : x;
        float[] dx = new float[x.Length];
        s_backward[name].Kernel(Enumerable.Repeat(1f, x.Length).ToArray(), v, dx);
        TensorAssert.Close([.. dxTorch, .. dxTorch, .. dxTorch], dx, 1e-37f, 1e-5f, $"{name} special gradient");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void InPlace_SameStartAliasing_GivesSameResult(string name)
    {
        float[] x = Uniform(new Random(5), 37, -5f, 5f);
        float[] expected = new float[x.Length];
        s_forward[name].Kernel(x, expected);
        float[] inPlace = (float[])x.Clone();
        s_forward[name].Kernel(inPlace, inPlace);
        Assert.Equal(expected, inPlace);

        float[] dy = Uniform(new Random(6), 37, -1f, 1f), v = s_backward[name].Lo == 0f ? expected.Select(Math.Abs).ToArray() : x;
        float[] dxExpected = (float[])dy.Clone();
        s_backward[name].Kernel(dy, v, dxExpected);
        float[] dxAliased = (float[])dy.Clone();
        s_backward[name].Kernel(dxAliased, v, dxAliased);
        Assert.Equal(dxExpected, dxAliased);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void PartialOverlapOrShortDestination_Throws(string name)
    {
        float[] buffer = new float[40];
        Assert.Throws<ArgumentException>(() => s_forward[name].Kernel(buffer.AsSpan(0, 32), buffer.AsSpan(1, 32)));
        Assert.Throws<ArgumentException>(() => s_forward[name].Kernel(new float[10], new float[9]));
        Assert.Throws<ArgumentException>(() => s_backward[name].Kernel(new float[10], new float[10], new float[9]));
        Assert.Throws<ArgumentException>(() => s_backward[name].Kernel(new float[10], new float[9], new float[10]));
        Assert.Throws<ArgumentException>(() => s_backward[name].Kernel(buffer.AsSpan(0, 32), new float[32], buffer.AsSpan(4, 32)));
    }

    private static float[] Uniform(Random rng, int n, float lo, float hi)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.NextSingle();
        return a;
    }
}
