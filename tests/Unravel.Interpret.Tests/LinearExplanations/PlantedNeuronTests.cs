// Planted ground truth for linear explanations (Oikarinen & Weng 2024): a neuron whose activation is
// 2·[class A] + 1·[superclass B] + noise must be explained by exactly these two concepts with weights within 5 %.

using Unravel.Interpret.LinearExplanations;
using Unravel.Interpret.Scoring;
using Tensor = Unravel.Tensors.Tensor;

namespace Unravel.Interpret.Tests.LinearExplanations;

public sealed class PlantedNeuronTests
{
    private static readonly string[] s_classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private static readonly Superclass[] s_supers =
    [
        new("footwear", "footwear.n.02", [5, 7, 9]),
        new("garment", "garment.n.01", [0, 1, 2, 3, 4, 6]),
        new("shoe", "shoe.n.01", [5, 7]),
        new("entity", "entity.n.01", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    ];

    private static (ConceptMatrix P, Tensor Q, int[] Labels) Planted(int n, int seed)
    {
        var rng = new Random(seed);
        int[] labels = Enumerable.Range(0, n).Select(_ => rng.Next(10)).ToArray();
        ConceptMatrix p = LabelConcepts.Build(labels, s_classes, s_supers, "planted");
        // Three neurons: the planted one, a pure-noise one, and one of another class for the parallel path.
        var q = new float[n * 3];
        for (int i = 0; i < n; i++)
        {
            double noise = Gaussian(rng);
            q[i * 3] = (float)(2.0 * (labels[i] == 7 ? 1 : 0) + 1.0 * (labels[i] is 5 or 7 or 9 ? 1 : 0) + 0.3 * noise + 0.5);
            q[i * 3 + 1] = (float)Gaussian(rng);
            q[i * 3 + 2] = (float)(1.5 * (labels[i] == 1 ? 1 : 0) + 0.2 * Gaussian(rng));
        }
        return (p, Tensor.FromArray(q, n, 3), labels);
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Fact]
    public void Run_PlantedClassPlusSuperclass_FindsExactlyTheTwoTermsWithin5Percent()
    {
        (ConceptMatrix p, Tensor q, _) = Planted(4000, 1);
        DataSplit split = DataSplit.Create(p.Rows, seed: 3);
        LinearExplanationResult result = LinearExplainer.Run(p, q, [0, 2], split, new LinearExplanationOptions { Parallelism = 2 });

        Assert.DoesNotContain("entity", result.Concepts); // constant column, dropped by the filter
        LinearExplanation e = result.Neurons[0];
        Assert.Equal(["Sneaker", "footwear"], e.Terms.Select(t => t.Concept));
        Assert.InRange(e.Terms[0].Weight, 2 * 0.95, 2 * 1.05);
        Assert.InRange(e.Terms[1].Weight, 1 * 0.95, 1 * 1.05);
        Assert.InRange(e.Bias, 0.45, 0.55);
        Assert.Matches(@"^[12]\.\d\d·Sneaker \+ 0\.9\d·footwear \+ 0\.\d\d$", e.Formula());

        LinearExplanation other = result.Neurons[1];
        Assert.Equal(2, other.Neuron);
        Assert.Equal("Trouser", Assert.Single(other.Terms).Concept);

        SimulationScore s = Scorer.Score(new LinearSimulator(e, p), q, 0, split);
        // Noise std 0.3 against a signal of std ≈ 0.83 (2·[A] + [B] with P(A) = .1, P(B) = .3): r ≈ 0.94.
        Assert.InRange(s.TestCorrelation, 0.9, 0.97);
    }

    [Fact]
    public void Run_NoiseNeuron_ExplainsWithFewTermsAndNoTestSkill()
    {
        (ConceptMatrix p, Tensor q, _) = Planted(4000, 2);
        DataSplit split = DataSplit.Create(p.Rows, seed: 5);
        LinearExplanation e = Assert.Single(LinearExplainer.Run(p, q, [1], split, new LinearExplanationOptions()).Neurons);
        Assert.True(e.Terms.Count <= 1, e.Formula());
        SimulationScore s = Scorer.Score(new LinearSimulator(e, p), q, 1, split);
        Assert.InRange(s.TestCorrelation, -0.1, 0.1);
    }

    [Fact]
    public void Baselines_PlantedNeuron_PickTheDominantClass()
    {
        (ConceptMatrix p, Tensor q, int[] labels) = Planted(4000, 1);
        DataSplit split = DataSplit.Create(p.Rows, seed: 3);
        LinearExplanation single = Baselines.BestSingleConcept(p, q, 0, split);
        Assert.Equal("Sneaker", Assert.Single(single.Terms).Concept);
        (int label, ISimulator sim) = Baselines.TopLabel(labels, q, 0, split);
        Assert.Equal(7, label);
        double full = Scorer.Score(new LinearSimulator(LinearExplainer.Run(p, q, [0], split, new LinearExplanationOptions()).Neurons[0], p), q, 0, split).TestCorrelation;
        double top = Scorer.Score(sim, q, 0, split).TestCorrelation;
        Assert.True(top < full - 0.05, $"top-label r {top:F3} vs full explanation {full:F3}");
    }
}
