// The planted test: a neuron that is the sum of two units with different class selectivity must split
// into two concepts that match the two sources; a neuron driven by one unit must stay one concept.

using Unravel.Interpret.Clustering;
using Unravel.Interpret.Concepts;
using Tensor = Unravel.Tensors.Tensor;

namespace Unravel.Interpret.Tests.Concepts;

public sealed class PlantedConceptTests
{
    private const int N = 3000, C = 32;

    /// <summary>Synthetic post-ReLU pooled vectors of a layer: unit a fires for classes 0-1 (uniform 2…4), unit b for classes 5-6.
    /// Channels 1..15 read a (with their own gains and noise), 16..31 read b, and channel 0 = a + b is the planted
    /// polysemantic neuron. Also returns the class labels and the source (0 = a, 1 = b) that dominates each input.</summary>
    private static (Tensor Pooled, int[] Labels, int[] Source) Layer(int seed)
    {
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var gainA = new double[C];
        var gainB = new double[C];
        for (int f = 1; f < C; f++)
        {
            if (f < 16) gainA[f] = 0.5 + rng.NextDouble();
            else gainB[f] = 0.5 + rng.NextDouble();
        }
        var x = new float[N * C];
        var labels = new int[N];
        var source = new int[N];
        for (int i = 0; i < N; i++)
        {
            int y = i % 10;
            labels[i] = y;
            double a = y is 0 or 1 ? 2 + 2 * rng.NextDouble() : 0.3 * rng.NextDouble();
            double b = y is 5 or 6 ? 2 + 2 * rng.NextDouble() : 0.3 * rng.NextDouble();
            source[i] = a >= b ? 0 : 1;
            x[i * C] = (float)(a + b);
            for (int f = 1; f < C; f++) x[i * C + f] = (float)Math.Max(0, gainA[f] * a + gainB[f] * b + 0.2 * Normal());
        }
        return (Tensor.FromArray(x, N, C), labels, source);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Analyse_SumOfTwoUnits_SplitsIntoTheTwoSources(int seed)
    {
        (Tensor pooled, int[] labels, int[] source) = Layer(seed);
        int[] top = ConceptVectors.TopRows(pooled, 0, 100);
        ConceptResult r = ConceptVectors.Analyse(pooled, top, new ConceptOptions(), labels);

        Assert.Equal(2, r.Polysemanticity.Concepts);
        int[] kept = Enumerable.Range(0, top.Length).Where(i => r.Labels[i] >= 0).ToArray();
        Assert.True(kept.Length >= 90, $"only {kept.Length} of 100 top inputs kept");
        double ari = AdjustedRand.Index(kept.Select(i => r.Labels[i]).ToArray(), kept.Select(i => source[top[i]]).ToArray());
        Assert.True(ari >= 0.8, $"ARI {ari:0.000} < 0.8");
        // Each concept's own top-100 is purer than the neuron's (4 classes ≈ 2 bits vs 2 classes ≈ 1 bit).
        Assert.True(r.LabelEntropy > 1.8, $"raw entropy {r.LabelEntropy}");
        Assert.All(r.Concepts, c => Assert.True(c.LabelEntropy < 1.05, $"concept {c.Id} entropy {c.LabelEntropy}"));
        Assert.All(r.Concepts, c => Assert.Equal(1.0, Math.Sqrt(c.Vector.Sum(v => (double)v * v)), 6));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Analyse_SingleSourceUnit_StaysOneConceptAndRanksBelowThePlantedOne(int seed)
    {
        (Tensor pooled, int[] labels, _) = Layer(seed);
        ConceptOptions options = new();
        ConceptResult planted = ConceptVectors.Analyse(pooled, ConceptVectors.TopRows(pooled, 0, 100), options, labels);
        foreach (int unit in new[] { 3, 20 })
        {
            ConceptResult mono = ConceptVectors.Analyse(pooled, ConceptVectors.TopRows(pooled, unit, 100), options, labels);
            Assert.Equal(1, mono.Polysemanticity.Concepts);
            Assert.True(planted.Polysemanticity.Score > mono.Polysemanticity.Score);
            Assert.True(planted.Polysemanticity.Separation > mono.Polysemanticity.Separation);
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    public void Analyse_IsotropicGaussianCloud_StaysOneConcept(int dims)
    {
        var rng = new Random(dims);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var x = new float[100 * dims];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(5 + Normal());
        ConceptResult r = ConceptVectors.Analyse(Tensor.FromArray(x, 100, dims), Enumerable.Range(0, 100).ToArray(), new ConceptOptions());
        Assert.Equal(1, r.Polysemanticity.Concepts);
        Assert.True(r.Concepts[0].Size >= 90, $"only {r.Concepts[0].Size} kept");
    }
}
