// Linear explanations (Oikarinen & Weng 2024) against independent references: the elastic net against scikit-learn's
// ElasticNet, and the whole per-neuron fit (standardisation, ranking, greedy search with least-squares refits) against a
// numpy implementation (tools/fixtures/linear_explanations.py).

using System.Text.Json;
using Unravel.Interpret.LinearExplanations;
using Tensor = Unravel.Tensors.Tensor;
using static Unravel.Interpret.Tests.LinearExplanations.LinearExplanationFixture;

namespace Unravel.Interpret.Tests.LinearExplanations;

public sealed class LinearExplainerTests
{
    public static TheoryData<int> Two => [0, 1];

    [Theory, MemberData(nameof(Two))]
    public void ElasticNet_FixtureCase_MatchesSklearnCoefficients(int i)
    {
        JsonElement c = Root.GetProperty("elastic_net")[i];
        int n = c.GetProperty("n").GetInt32(), m = c.GetProperty("m").GetInt32();
        (double[] w, double b) = ElasticNet.Fit(Doubles(c.GetProperty("x")), n, m, Doubles(c.GetProperty("y")),
            c.GetProperty("l1").GetDouble(), c.GetProperty("l2").GetDouble());
        double[] expected = Doubles(c.GetProperty("coef"));
        double maxDiff = expected.Select((e, j) => Math.Abs(e - w[j])).Max();
        Assert.True(maxDiff < 1e-4, $"max |Δcoef| = {maxDiff:g3}");
        Assert.Equal(c.GetProperty("intercept").GetDouble(), b, 1e-4);
        Assert.Contains(expected, v => v == 0); // the fixture exercises the L1 threshold
        Assert.All(expected.Select((e, j) => (e, j)).Where(t => t.e == 0), t => Assert.Equal(0, w[t.j]));
    }

    private static (ConceptMatrix P, Tensor Q, DataSplit Split) Case(JsonElement c)
    {
        int n = c.GetProperty("n").GetInt32(), m = c.GetProperty("m").GetInt32();
        var names = Enumerable.Range(0, m).Select(j => $"c{j}").ToArray();
        var p = new ConceptMatrix(names, Floats(c.GetProperty("p")), n, new ConceptProvenance("labels", "fixture", ""));
        Tensor q = Tensor.FromArray(Floats(c.GetProperty("q")), n, 1);
        var split = new DataSplit(0, n, 1, Ints(c.GetProperty("train")), Ints(c.GetProperty("val")), Ints(c.GetProperty("test")));
        return (p, q, split);
    }

    [Theory, MemberData(nameof(Two))]
    public void GreedySearch_FixtureRanking_MatchesNumpyReference(int i)
    {
        JsonElement c = Root.GetProperty("greedy")[i];
        (ConceptMatrix p, Tensor q, DataSplit split) = Case(c);
        ConceptMoments mom = ConceptMoments.Build(p.Values, p.Columns, split.Train, split.Val, 1, default);
        float[] qTrain = split.Train.Select(r => q.Data[r]).ToArray(), qVal = split.Val.Select(r => q.Data[r]).ToArray();
        (int[] cols, double[] w, double b, double r) = GreedySearch.Run(mom, mom.Project(qTrain), qTrain.Sum(v => (double)v), qVal,
            Ints(c.GetProperty("rank")), 10, 10, 0.02);
        Assert.Equal(Ints(c.GetProperty("selected")), cols);
        double[] ew = Doubles(c.GetProperty("weights"));
        for (int t = 0; t < ew.Length; t++) Assert.Equal(ew[t], w[t], 1e-4);
        Assert.Equal(c.GetProperty("bias").GetDouble(), b, 1e-4);
        Assert.Equal(c.GetProperty("val_correlation").GetDouble(), r, 1e-6);
    }

    [Theory, MemberData(nameof(Two))]
    public void Run_FixtureNeuron_MatchesSklearnRankingAndNumpyGreedy(int i)
    {
        JsonElement c = Root.GetProperty("greedy")[i];
        (ConceptMatrix p, Tensor q, DataSplit split) = Case(c);
        LinearExplanationResult result = LinearExplainer.Run(p, q, null, split, new LinearExplanationOptions { Filter = false, Parallelism = 1 });
        LinearExplanation e = Assert.Single(result.Neurons);
        int[] selected = Ints(c.GetProperty("selected"));
        double[] ew = Doubles(c.GetProperty("weights"));
        var expected = selected.Select((col, t) => (col, w: ew[t])).OrderByDescending(t => t.w).ToArray();
        Assert.Equal(expected.Select(t => t.col), e.Terms.Select(t => t.Column));
        for (int t = 0; t < expected.Length; t++) Assert.Equal(expected[t].w, e.Terms[t].Weight, 1e-4);
        Assert.Equal(c.GetProperty("bias").GetDouble(), e.Bias, 1e-4);
        Assert.Equal(c.GetProperty("val_correlation").GetDouble(), e.ValCorrelation, 1e-6);
    }

    [Fact]
    public void Run_ConstantNeuron_GivesEmptyExplanationWithItsMean()
    {
        JsonElement c = Root.GetProperty("greedy")[0];
        (ConceptMatrix p, _, DataSplit split) = Case(c);
        var q = Tensor.FromArray(Enumerable.Repeat(0.25f, p.Rows).ToArray(), p.Rows, 1);
        LinearExplanation e = Assert.Single(LinearExplainer.Run(p, q, null, split, new LinearExplanationOptions()).Neurons);
        Assert.Empty(e.Terms);
        Assert.Equal(0.25, e.Bias, 1e-6);
        Assert.Equal("0.25", e.Formula());
    }

    [Fact]
    public void Run_ActivationsOfOtherData_ThrowsNamingRows()
    {
        JsonElement c = Root.GetProperty("greedy")[0];
        (ConceptMatrix p, _, DataSplit split) = Case(c);
        var ex = Assert.Throws<ArgumentException>(() => LinearExplainer.Run(p, Tensor.FromArray(new float[10], 10, 1), null, split, new LinearExplanationOptions()));
        Assert.Contains($"{p.Rows} rows", ex.Message);
    }
}
