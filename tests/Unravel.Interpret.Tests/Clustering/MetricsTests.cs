// Silhouette, adjusted Rand index and pairwise distances against scikit-learn fixtures and closed forms.

using System.Text.Json;
using Unravel.Interpret.Clustering;
using static Unravel.Interpret.Tests.Clustering.ClusteringFixture;

namespace Unravel.Interpret.Tests.Clustering;

public sealed class MetricsTests
{
    public static TheoryData<int> SilhouetteCases => Indices("silhouette");

    public static TheoryData<int> AriCases => Indices("ari");

    [Theory]
    [MemberData(nameof(SilhouetteCases))]
    public void Silhouette_Fixture_MatchesSklearn(int index)
    {
        JsonElement c = Case("silhouette", index);
        float[,] x = Dataset(c.GetProperty("dataset").GetString()!);
        DistanceMetric metric = Enum.Parse<DistanceMetric>(c.GetProperty("metric").GetString()!, ignoreCase: true);
        int[] labels = Ints(c.GetProperty("labels"));
        string name = $"{c.GetProperty("dataset").GetString()}/{metric}";
        CloseRel(c.GetProperty("score").GetDouble(), Silhouette.Score(x, labels, metric), 1e-6, 1e-6, $"{name} score");
        double[] expected = Doubles(c.GetProperty("samples"));
        double[] ours = Silhouette.Samples(x, labels, metric);
        for (int i = 0; i < expected.Length; i++) CloseRel(expected[i], ours[i], 1e-6, 1e-6, $"{name} sample {i}");
    }

    [Fact]
    public void Silhouette_DuplicatePointsPerCluster_ScoreIsOne()
    {
        // a = 0 (duplicates), b > 0, so s = (b − a) / b = 1 for every sample.
        float[,] x = { { 0, 0 }, { 0, 0 }, { 3, 4 }, { 3, 4 } };
        Assert.Equal([1.0, 1.0, 1.0, 1.0], Silhouette.Samples(x, [7, 7, 2, 2]));
    }

    [Fact]
    public void Silhouette_OneLabel_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Silhouette.Score(new float[,] { { 0 }, { 1 }, { 2 } }, [4, 4, 4]));
        Assert.Contains("1 distinct labels", e.Message);
    }

    [Fact]
    public void Silhouette_WrongLabelCount_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Silhouette.Samples(new float[,] { { 0 }, { 1 }, { 2 } }, [0, 1]));
        Assert.Contains("2 labels for data [3, 1]", e.Message);
    }

    [Theory]
    [MemberData(nameof(AriCases))]
    public void AdjustedRand_Fixture_MatchesSklearn(int index)
    {
        JsonElement c = Case("ari", index);
        CloseRel(c.GetProperty("ari").GetDouble(), AdjustedRand.Index(Ints(c.GetProperty("a")), Ints(c.GetProperty("b"))), 1e-6, 1e-9, $"ari case {index}");
    }

    [Fact]
    public void AdjustedRand_EmptyAndLengthMismatch()
    {
        Assert.Equal(1.0, AdjustedRand.Index([], []));
        var e = Assert.Throws<ArgumentException>(() => AdjustedRand.Index([0, 1], [0]));
        Assert.Contains("2 and 1", e.Message);
    }

    [Fact]
    public void Distances_SmallMatrix_MatchClosedForms()
    {
        float[,] x = { { 3, 4 }, { 0, 0.5f }, { -6, -8 } };
        double[,] e = Distances.Euclidean(x);
        Assert.Equal(0.0, e[0, 0]);
        Assert.Equal(Math.Sqrt(9 + 3.5 * 3.5), e[0, 1], 12);
        Assert.Equal(15.0, e[2, 0], 12);
        double[,] c = Distances.Cosine(x);
        Assert.Equal(2.0, c[0, 2], 12);        // opposite directions
        Assert.Equal(1.0 - 0.8, c[0, 1], 12);  // cos = 4/5
        Assert.Equal(c[1, 0], c[0, 1]);
    }
}
