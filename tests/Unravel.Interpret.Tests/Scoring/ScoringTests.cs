// The scoring module against numpy (tools/fixtures/linear_explanations.py: Pearson r on the test rows; the ablation
// score of Oikarinen & Weng 2024 App. B.5 with Adam-fitted and norm calibration) and closed-form simulator cases.

using System.Text.Json;
using Unravel.Interpret.LinearExplanations;
using Unravel.Interpret.Pure;
using Unravel.Interpret.Scoring;
using Tensor = Unravel.Tensors.Tensor;
using static Unravel.Interpret.Tests.LinearExplanations.LinearExplanationFixture;

namespace Unravel.Interpret.Tests.Scoring;

public sealed class ScoringTests
{
    private static JsonElement Case => Root.GetProperty("ablation");

    private static (LinearHeadLoss Loss, float[] Q, double[] Pred, int[] Val, int[] Test) Ablation()
    {
        JsonElement c = Case;
        float[] q = Floats(c.GetProperty("activation"));
        var loss = new LinearHeadLoss(Floats(c.GetProperty("logits")), Floats(c.GetProperty("head_weight")), Ints(c.GetProperty("labels")), q,
            c.GetProperty("temperature").GetDouble());
        return (loss, q, Floats(c.GetProperty("predicted")).Select(v => (double)v).ToArray(), Ints(c.GetProperty("val")), Ints(c.GetProperty("test")));
    }

    [Fact]
    public void Score_FixedData_MatchesNumpyTestCorrelation()
    {
        (_, float[] q, double[] pred, int[] val, int[] test) = Ablation();
        var split = new DataSplit(0, q.Length, 1, [], val, test);
        var sim = new ClusterSimulator(Enumerable.Range(0, q.Length).ToArray(), pred, "fixed");
        SimulationScore s = Scorer.Score(sim, Tensor.FromArray(q, q.Length, 1), 0, split);
        Assert.Equal(Case.GetProperty("test_correlation").GetDouble(), s.TestCorrelation, 1e-6);
        Assert.Equal(test.Length, s.TestRows);
        Assert.False(s.Undefined);
    }

    [Theory]
    [InlineData(AblationMode.Optim, "optim")]
    [InlineData(AblationMode.Norm, "norm")]
    public void Ablation_FixedData_MatchesNumpy(AblationMode mode, string key)
    {
        (LinearHeadLoss loss, float[] q, double[] pred, int[] val, int[] test) = Ablation();
        AblationScore a = AblationScore.Compute(loss, q, val.Select(i => pred[i]).ToArray(), test.Select(i => pred[i]).ToArray(), val, test, mode);
        JsonElement e = Case.GetProperty(key);
        Assert.Equal(Case.GetProperty("delta_base").GetDouble(), a.DeltaBase, 1e-6 * a.DeltaBase);
        Assert.Equal(e.GetProperty("delta_sim").GetDouble(), a.DeltaSim, 1e-5 * a.DeltaBase);
        Assert.Equal(e.GetProperty("alpha").GetDouble(), a.Alpha, 1e-5);
        if (mode == AblationMode.Optim)
        {
            Assert.Equal(e.GetProperty("c").GetDouble(), a.Scale, 1e-6);
            Assert.Equal(e.GetProperty("d").GetDouble(), a.Offset, 1e-6);
        }
    }

    [Fact]
    public void Ablation_PerfectSimulation_ScoresOne()
    {
        (LinearHeadLoss loss, float[] q, _, int[] val, int[] test) = Ablation();
        AblationScore a = AblationScore.Compute(loss, q, val.Select(i => (double)q[i]).ToArray(), test.Select(i => (double)q[i]).ToArray(), val, test, AblationMode.Optim);
        // |ℓ(ŷ) − ℓ(q)| = 0 everywhere: Adam's gradient is 0, so c = 1, d = 0 stay and nothing is lost.
        Assert.Equal((1.0, 0.0), (a.Scale, a.Offset));
        Assert.Equal(1, a.Alpha, 1e-12);
    }

    [Fact]
    public void LinearHeadLoss_Gradient_MatchesCentralDifference()
    {
        (LinearHeadLoss loss, _, _, _, _) = Ablation();
        for (int row = 0; row < 5; row++)
        {
            (double _, double g) = loss.Evaluate(row, 0.7);
            double h = 1e-5, fd = (loss.Evaluate(row, 0.7 + h).Loss - loss.Evaluate(row, 0.7 - h).Loss) / (2 * h);
            Assert.Equal(fd, g, 1e-6);
        }
    }

    [Fact]
    public void Correlation_ConstantPrediction_IsUndefinedAndScoresZero()
    {
        Assert.True(double.IsNaN(Correlation.Pearson([1, 1, 1], [1f, 2, 3])));
        var split = new DataSplit(0, 10, 1, [0, 1, 2, 3, 4, 5, 6], [7], [8, 9]);
        SimulationScore s = Scorer.Score(new ClusterSimulator(new int[10], [2.0], "const"), Tensor.FromArray(Enumerable.Range(0, 10).Select(i => (float)i).ToArray(), 10, 1), 0, split);
        Assert.Equal(0, s.TestCorrelation);
        Assert.True(s.Undefined);
    }

    [Fact]
    public void ConceptVectorSimulator_InputAlongConcept_ReconstructsNeuronFromTheOthers()
    {
        // Layer of 3 neurons; concept vectors u = (1, 1, 0)/√2 and v = (0, 1, 1)/√2; neuron 1 is shared.
        float s = 1 / MathF.Sqrt(2);
        float[][] vectors = [[s, s, 0], [0, s, s]];
        // Row 0 lies along u with t = 2 (a = (√2, √2, 0)); row 1 along v with t = 3; the neuron's own value is ignored.
        var pooled = Tensor.FromArray([2 * s, 99, 0, 0, -5, 3 * s], 2, 3);
        var sim = new ConceptVectorSimulator(pooled, 1, vectors);
        var p = new double[2];
        sim.Predict([0, 1], p);
        // Row 0: t = ⟨a_{-1}, u_{-1}⟩/‖u_{-1}‖² = (2s·s)/s² = 2 (t for v is 0), prediction t·u_1 = 2s; row 1: t = 3 → 3s.
        Assert.Equal(2 * s, p[0], 1e-6);
        Assert.Equal(3 * s, p[1], 1e-6);
    }

    [Fact]
    public void PureSimulator_RoutesToNearestCentroidAndPredictsItsTrainMean()
    {
        var vn = new[]
        {
            new VirtualNeuron(0, 2, 0.5, [1f, 0], [], [], []),
            new VirtualNeuron(1, 2, 0.5, [0f, 1], [], [], []),
        };
        var pure = new PureNeuronResult(3, 2, [], [], [], [], [], vn, null);
        float[][] circuits = [[0.9f, 0.1f], [0.2f, 0.8f], [1.1f, 0f], [0f, 1.2f], [0.7f, 0.2f]];
        float[] act = [4, 1, 6, 3, 0];
        ClusterSimulator sim = PureSimulator.Create(pure, circuits, act, [0, 1, 2, 3]);
        var p = new double[5];
        sim.Predict([0, 1, 2, 3, 4], p);
        Assert.Equal([5.0, 2, 5, 2, 5], p);
    }

    [Fact]
    public void PureSimulator_SilentInputsFormTheirOwnPart_RowsWithoutCircuitNeverFit()
    {
        float[][] centroids = [[1f, 0], [0f, 1]];
        // Rows 0-1 near centroid 0, rows 2-3 near centroid 1, rows 4-5 silent (zero circuit), row 6 has no circuit.
        float[]?[] circuits = [[0.9f, 0.1f], [0.8f, 0.2f], [0.1f, 0.9f], [0.3f, 0.7f], [0f, 0f], [0f, 0f], null, [0.6f, 0.4f], [0f, 0f]];
        float[] act = [4, 2, 10, 12, 0, 1, 99, 5, 7];
        ClusterSimulator sim = PureSimulator.Create(centroids, circuits, act, [0, 1, 2, 3, 4, 5]);
        var p = new double[4];
        sim.Predict([7, 8, 2, 6], p);
        // Part means over the fit rows: virtual neuron 0 → 3, virtual neuron 1 → 11, silent → 0.5; no circuit → 0.
        Assert.Equal([3.0, 0.5, 11, 0], p);
        Assert.Throws<ArgumentException>(() => PureSimulator.Create(centroids, circuits, act, [6]));
    }

    [Fact]
    public void LinearSimulator_ConceptMissingFromDetector_ThrowsNamingIt()
    {
        var e = new LinearExplanation(4, [new ExplanationTerm("sandal", 0, 1.0)], 0, 0.5);
        var p = new ConceptMatrix(["boot"], [1f], 1, new ConceptProvenance("model", "judge", ""));
        var ex = Assert.Throws<ArgumentException>(() => new LinearSimulator(e, p));
        Assert.Contains("'sandal'", ex.Message);
    }
}
