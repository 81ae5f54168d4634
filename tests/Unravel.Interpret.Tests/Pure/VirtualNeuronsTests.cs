// Virtual neurons: k-means recovers planted circuit groups (ARI against the planted labels), automatic k finds the
// planted number of groups, routing equals a brute-force nearest centroid, and the evaluation distances match values
// worked out by hand.

using Unravel.Interpret.Clustering;
using Unravel.Interpret.Pure;

namespace Unravel.Interpret.Tests.Pure;

public sealed class VirtualNeuronsTests
{
    /// <summary>L1-normalised circuits over 16 lower channels: group g puts most mass on channels 4g … 4g+3, with noise
    /// and some negative (inhibitory) entries.</summary>
    private static (float[,] Circuits, int[] Truth) Planted(int groups, int perGroup, int seed)
    {
        var rng = new Random(seed);
        int n = groups * perGroup, d = 16;
        var x = new float[n, d];
        var truth = new int[n];
        for (int i = 0; i < n; i++)
        {
            int g = i % groups;
            truth[i] = g;
            var row = new double[d];
            for (int j = 0; j < d; j++) row[j] = 0.3 * (rng.NextDouble() - 0.4);
            for (int j = 4 * g; j < 4 * g + 4; j++) row[j] += 1.0 + rng.NextDouble();
            double l1 = row.Sum(Math.Abs);
            for (int j = 0; j < d; j++) x[i, j] = (float)(row[j] / l1);
        }
        return (x, truth);
    }

    [Fact]
    public void Fit_TwoPlantedCircuitGroups_RecoversThem()
    {
        (float[,] x, int[] truth) = Planted(2, 50, 1);
        KMeansResult fit = VirtualNeurons.Fit(x, 2, restarts: 10, seed: 0);
        Assert.True(AdjustedRand.Index(truth, fit.Labels) >= 0.8, $"ARI {AdjustedRand.Index(truth, fit.Labels)}");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void FitAuto_PlantedGroups_ChoosesTheirNumber(int groups)
    {
        (float[,] x, int[] truth) = Planted(groups, 30, groups);
        (KMeansResult fit, IReadOnlyDictionary<int, double> scores) = VirtualNeurons.FitAuto(x, 2, 5, restarts: 10, seed: 0);
        Assert.Equal(groups, fit.Centroids.GetLength(0));
        Assert.Equal([2, 3, 4, 5], scores.Keys);
        Assert.Equal(scores.Values.Max(), Silhouette.Score(x, fit.Labels), 1e-9);
        Assert.True(AdjustedRand.Index(truth, fit.Labels) >= 0.8);
    }

    [Fact]
    public void Fit_FewerDistinctRowsThanK_LowersK()
    {
        var x = new float[,] { { 1, 0 }, { 1, 0 }, { 0, 1 } };
        Assert.Equal(2, VirtualNeurons.Fit(x, 4, 3, 0).Centroids.GetLength(0));
    }

    [Fact]
    public void Route_RandomCircuits_IsTheNearestCentroid()
    {
        var rng = new Random(9);
        var centroids = new float[4, 6];
        for (int c = 0; c < 4; c++)
            for (int j = 0; j < 6; j++) centroids[c, j] = (float)rng.NextDouble();
        for (int t = 0; t < 200; t++)
        {
            float[] v = Enumerable.Range(0, 6).Select(_ => (float)rng.NextDouble()).ToArray();
            double[] dist = Enumerable.Range(0, 4).Select(c => Enumerable.Range(0, 6).Sum(j => Math.Pow(v[j] - centroids[c, j], 2))).ToArray();
            Assert.Equal(Array.IndexOf(dist, dist.Min()), VirtualNeurons.Route(v, centroids));
        }
        Assert.Equal(1, VirtualNeurons.Route([0.9f, 0.1f], new float[,] { { 0, 1 }, { 1, 0 } }));
    }

    [Fact]
    public void Route_WrongLength_Throws() =>
        Assert.Throws<ArgumentException>(() => VirtualNeurons.Route([1f, 2f, 3f], new float[,] { { 0, 1 } }));

    [Fact]
    public void Distances_FourPointsOnALine_MatchHandComputed()
    {
        // Points 0, 1, 10, 12 with labels a a b b. Within: |0−1| = 1, |10−12| = 2 → mean 1.5.
        // Between: 10, 12, 9, 11 → mean 10.5. All six pairs: (1 + 2 + 42) / 6 = 7.5.
        float[][] e = [[0f], [1f], [10f], [12f]];
        ClusterDistances d = PureEvaluator.Distances(e, [0, 0, 1, 1]);
        Assert.Equal(1.5, d.Intra, 1e-12);
        Assert.Equal(10.5, d.Inter, 1e-12);
        Assert.Equal(7.5, d.Overall, 1e-12);
        Assert.Equal(9.0, d.Gap, 1e-12);
        ClusterDistances one = PureEvaluator.Distances(e, [3, 3, 3, 3]);
        Assert.Equal(7.5, one.Intra, 1e-12);
        Assert.Equal(7.5, one.Inter, 1e-12);
    }
}
