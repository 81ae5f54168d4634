// The top-activation measurements of Oikarinen & Weng 2024 (§2): the share of the ablation effect by activation rank
// (closed-form cases), and the share of correlation that an explanation fitted on top activations only reaches
// (a planted neuron whose top inputs are all one class).

using Unravel.Interpret.LinearExplanations;
using Unravel.Interpret.Scoring;
using Tensor = Unravel.Tensors.Tensor;

namespace Unravel.Interpret.Tests.Scoring;

public sealed class EffectShareTests
{
    [Fact]
    public void Shares_UniformEffect_EqualTheFraction()
    {
        // 1000 inputs with activation = index (so the top f are the last f·N) and |e| = 1 each: share = f.
        float[] a = Enumerable.Range(0, 1000).Select(i => (float)i).ToArray();
        double[] e = Enumerable.Repeat(-1.0, 1000).ToArray();
        Assert.Equal([0.001, 0.002, 0.005, 0.02, 0.1, 0.5], EffectShare.TopShares(a, e, EffectShare.DefaultFractions));
        double[] ranges = EffectShare.RangeShares(a, e, [0.1, 0.5]);
        Assert.Equal(new[] { 0.1, 0.4, 0.5 }, ranges.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void Shares_EffectOnlyInTheMiddle_TopHoldsNothing()
    {
        // Effect 1 for ranks 100…499 (activations 900…501), 0 elsewhere: top 10 % holds 0, top 50 % all of it.
        float[] a = Enumerable.Range(0, 1000).Select(i => (float)i).ToArray();
        double[] e = Enumerable.Range(0, 1000).Select(i => i is >= 500 and < 900 ? 1.0 : 0).ToArray();
        Assert.Equal([0.0, 1.0], EffectShare.TopShares(a, e, [0.1, 0.5]));
        Assert.Equal([0.0, 1.0, 0.0], EffectShare.RangeShares(a, e, [0.1, 0.5]));
    }

    [Fact]
    public void Impact_AccuracyAndLoss_AveragesTheirNormalisedChanges()
    {
        // Two inputs: input 0 flips from correct to wrong (accuracy share 1/2) and its loss rises by 1 of a total 4.
        double[] e = EffectShare.Impact([1, 1], [0, 1], [1, 3], [2, 3]);
        Assert.Equal([0.5 * (0.5 + 0.25), 0], e);
    }

    [Fact]
    public void TopOnlyExplanation_PlantedNeuron_ReachesOnlyPartOfTheFullCorrelation()
    {
        // q = 2·[class 7] + 1·[classes 5, 7, 9] + noise: the top 15 % are class 7 and some of 5/9, so a fit on them
        // cannot see the superclass-vs-rest step that drives most of the variance.
        var rng = new Random(9);
        int n = 5000;
        int[] labels = Enumerable.Range(0, n).Select(_ => rng.Next(10)).ToArray();
        ConceptMatrix p = LabelConcepts.Build(labels, Enumerable.Range(0, 10).Select(i => $"class {i}").ToArray(),
            [new Superclass("footwear", "x", [5, 7, 9]), new Superclass("tops", "y", [0, 2, 4, 6])], "planted");
        float[] q = labels.Select(y => (float)(2.0 * (y == 7 ? 1 : 0) + (y is 5 or 7 or 9 ? 1 : 0) + 0.3 * (rng.NextDouble() - 0.5))).ToArray();
        Tensor act = Tensor.FromArray(q, n, 1);
        DataSplit split = DataSplit.Create(n, 1);
        double Score(DataSplit s) =>
            Scorer.Score(new LinearSimulator(LinearExplainer.Run(p, act, null, s, new LinearExplanationOptions()).Neurons[0], p), act, 0, split).TestCorrelation;
        double full = Score(split), top = Score(split.TopOnly(q, 0.15));
        Assert.True(full > 0.97, $"full r {full:F3}");
        Assert.InRange(top / full, 0.3, 0.95);
        Assert.Equal(split.Test, split.TopOnly(q, 0.15).Test);
        Assert.Equal((int)Math.Round(0.15 * split.Train.Length), split.TopOnly(q, 0.15).Train.Length);
    }
}
