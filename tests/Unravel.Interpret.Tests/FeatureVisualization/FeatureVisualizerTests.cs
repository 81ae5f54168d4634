// Feature visualisation (Olah et al. 2017, Distill): the hand-written adjoints of the Fourier parameterisation and the
// warp (⟨L p, g⟩ = ⟨p, Lᵀ g⟩), and planted truth: for a linear unit ⟨W, x⟩ over the whole image, the maximiser in [0, 1]
// is 1[W > 0], so the optimised image must agree with the sign of W; runs are deterministic for a seed.

using Unravel.Interpret.FeatureVisualization;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;

namespace Unravel.Interpret.Tests.FeatureVisualization;

public sealed class FeatureVisualizerTests
{
    private const int Side = 12;

    [Theory]
    [InlineData(1, 12, true)]
    [InlineData(3, 9, true)]
    [InlineData(3, 8, false)]
    public void FourierImage_Adjoints_MatchTheForwardMaps(int channels, int size, bool fourier)
    {
        var rng = new Random(1);
        var f = new FourierImage(channels, size, fourier, rng);
        for (int i = 0; i < f.Re.Length; i++) f.Re[i] = rng.NextSingle() - 0.5f;
        for (int i = 0; i < f.Im.Length; i++) f.Im[i] = rng.NextSingle() - 0.5f;
        float[] x = f.Linear();
        float[] g = Enumerable.Range(0, x.Length).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        (float[] gre, float[] gim) = f.LinearAdjoint(g);
        double lhs = Dot(x, g), rhs = Dot(f.Re, gre) + Dot(f.Im, gim);
        Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * Math.Max(1, Math.Abs(lhs)), $"linear adjoint: {lhs} vs {rhs}");

        // Image (colour + sigmoid) adjoint against central differences.
        float[] img = f.Image(x);
        float[] gl = f.ImageAdjoint(img, g);
        for (int k = 0; k < 5; k++)
        {
            int i = rng.Next(x.Length);
            float[] plus = (float[])x.Clone(), minus = (float[])x.Clone();
            plus[i] += 1e-2f;
            minus[i] -= 1e-2f;
            double fd = (Dot(f.Image(plus), g) - Dot(f.Image(minus), g)) / 2e-2;
            Assert.True(Math.Abs(fd - gl[i]) <= 1e-3 + 1e-2 * Math.Abs(fd), $"image adjoint at {i}: {gl[i]} vs {fd}");
        }
    }

    [Fact]
    public void RandomWarp_Adjoint_MatchesApply()
    {
        var rng = new Random(2);
        var warp = new RandomWarp(10, 2, 0.1, 10, rng);
        float[] x = Enumerable.Range(0, 300).Select(_ => rng.NextSingle()).ToArray();
        float[] g = Enumerable.Range(0, 300).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        double lhs = Dot(warp.Apply(x, 3), g), rhs = Dot(x, warp.Adjoint(g, 3));
        Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * Math.Abs(lhs), $"{lhs} vs {rhs}");
        Assert.Equal(x, new RandomWarp(10).Apply(x, 3));
    }

    [Theory]
    [InlineData(false, 0.95)]
    [InlineData(true, 0.9)]
    public void Run_LinearPlantedUnit_OptimumFollowsTheSignOfItsWeights(bool transforms, double agreement)
    {
        var model = new LinearUnit(seed: 4);
        var options = new FeatureVisualizationOptions { Size = Side, Channels = 1, Steps = 200, Transforms = transforms, Jitter = 1, Seed = 3 };

        FeatureVisualizationResult r = FeatureVisualizer.Run(model, FeatureObjective.Neuron("unit", 0), options);

        float[] w = model.Unit.W.Value.Data[..(Side * Side)].ToArray();
        float[] img = r.Image.Data.ToArray();
        float cut = 0.2f * w.Max(Math.Abs); // near-zero weights barely affect the objective; their pixels may go either way
        int[] clear = Enumerable.Range(0, w.Length).Where(i => Math.Abs(w[i]) > cut).ToArray();
        double agree = clear.Count(i => img[i] > 0.5f == w[i] > 0) / (double)clear.Length;
        Assert.True(agree >= agreement, $"sign agreement {agree:F3}");
        double best = w.Where(v => v > 0).Sum(v => (double)v) + model.Unit.B!.Value.Data[0];
        Assert.True(r.FinalObjective > 0.8 * best, $"objective {r.FinalObjective} vs optimum {best}");
        Assert.True(r.Objective[^1] > r.Objective[0]);

        FeatureVisualizationResult again = FeatureVisualizer.Run(model, FeatureObjective.Neuron("unit", 0), options);
        Assert.Equal(img, again.Image.Data.ToArray());
    }

    [Fact]
    public void Run_Direction_RaisesTheCosine()
    {
        var model = new LinearUnit(seed: 5);
        var options = new FeatureVisualizationOptions { Size = Side, Channels = 1, Steps = 60, Seed = 1 };
        FeatureVisualizationResult r = FeatureVisualizer.Run(model, FeatureObjective.AlongDirection("unit", [1f, -1f]), options);
        Assert.True(r.FinalObjective > 0.5 && r.FinalObjective > r.Objective[0], $"{r.Objective[0]} → {r.FinalObjective}");
        Assert.ThrowsAny<UnravelException>(() => FeatureVisualizer.Run(model, FeatureObjective.Neuron("nope", 0), options));
        Assert.ThrowsAny<UnravelException>(() => FeatureVisualizer.Run(model, FeatureObjective.Neuron("unit", 5), options));
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>Two linear units over the whole 12×12 gray image (a 12×12 convolution without padding) with smooth weight
    /// patterns, so the optimum survives jitter, scale and rotation: unit 0 a product of cosines, unit 1 a ramp.</summary>
    private sealed class LinearUnit : RootModule, IImageClassifier
    {
        public LinearUnit(int seed) : this(WeightSource.Initialize(seed))
        {
        }

        private LinearUnit(WeightSource ws) : base(ws)
        {
            Unit = Child(new Conv2d(ws.At("unit"), 1, 2, Side));
            Span<float> w = Unit.W.Value.Data;
            for (int y = 0; y < Side; y++)
                for (int x = 0; x < Side; x++)
                {
                    w[y * Side + x] = 0.1f * MathF.Cos(2 * MathF.PI * x / Side + 0.3f) * MathF.Cos(2 * MathF.PI * y / Side + 0.7f);
                    w[Side * Side + y * Side + x] = 0.02f * (x - y);
                }
        }

        public Conv2d Unit { get; }

        public int Classes => 2;

        public (int Channels, int Height, int Width) InputSize => (1, Side, Side);

        public IReadOnlyList<string>? ClassNames { get; set; }

        public Tensor Forward(Tensor images) => Ops.Reshape(Unit.Forward(images), images.Dim(0), 2); // [N, 2]
    }
}
