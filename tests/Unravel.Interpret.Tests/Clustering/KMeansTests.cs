// k-means against scikit-learn KMeans fixtures: given initial centroids (exact comparison) and k-means++ restarts
// on well-separated blobs (same optimum).

using System.Text.Json;
using Unravel.Interpret.Clustering;
using static Unravel.Interpret.Tests.Clustering.ClusteringFixture;

namespace Unravel.Interpret.Tests.Clustering;

public sealed class KMeansTests
{
    public static TheoryData<int> InitCases => Indices("kmeans");

    public static TheoryData<int> PlusPlusCases => Indices("kmeanspp");

    [Theory]
    [MemberData(nameof(InitCases))]
    public void Fit_GivenInitialCentroids_MatchesSklearn(int index)
    {
        JsonElement c = Case("kmeans", index);
        string name = $"{c.GetProperty("dataset").GetString()} k={c.GetProperty("k").GetInt32()} max_iter={c.GetProperty("max_iter").GetInt32()}";
        var options = new KMeansOptions
        {
            K = c.GetProperty("k").GetInt32(),
            MaxIterations = c.GetProperty("max_iter").GetInt32(),
            Tolerance = c.GetProperty("tol").GetDouble(),
            InitialCentroids = Matrix(c.GetProperty("init")),
        };
        KMeansResult r = KMeans.Fit(Dataset(c.GetProperty("dataset").GetString()!), options);
        // Same start → same centroid numbering, so labels compare exactly.
        Assert.Equal(Ints(c.GetProperty("labels")), r.Labels);
        Assert.Equal(c.GetProperty("n_iter").GetInt32(), r.Iterations);
        CloseRel(c.GetProperty("inertia").GetDouble(), r.Inertia, 1e-4, 1e-9, $"{name} inertia");
        double[,] centroids = DoubleMatrix(c.GetProperty("centroids"));
        for (int i = 0; i < centroids.GetLength(0); i++)
            for (int j = 0; j < centroids.GetLength(1); j++)
                CloseRel(centroids[i, j], r.Centroids[i, j], 1e-5, 1e-5, $"{name} centroid[{i}, {j}]");
    }

    [Theory]
    [MemberData(nameof(PlusPlusCases))]
    public void Fit_PlusPlusRestarts_ReachesSklearnOptimum(int index)
    {
        JsonElement c = Case("kmeanspp", index);
        float[,] x = Matrix(c.GetProperty("data"));
        KMeansResult r = KMeans.Fit(x, new KMeansOptions { K = c.GetProperty("k").GetInt32(), Restarts = 10, Seed = 0 });
        CloseRel(c.GetProperty("inertia").GetDouble(), r.Inertia, 1e-4, 1e-9, "k-means++ inertia");
        Assert.Equal(1.0, AdjustedRand.Index(Ints(c.GetProperty("labels")), r.Labels), 12);
    }

    [Fact]
    public void Fit_SameSeed_IsDeterministic()
    {
        float[,] x = Dataset("concept");
        var options = new KMeansOptions { K = 5, Restarts = 3, Seed = 42 };
        KMeansResult a = KMeans.Fit(x, options), b = KMeans.Fit(x, options);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Inertia, b.Inertia);
        Assert.Equal(a.Centroids.Cast<float>(), b.Centroids.Cast<float>());
    }

    [Fact]
    public void Fit_KEqualsN_ZeroInertia()
    {
        float[,] x = { { 0, 0 }, { 1, 0 }, { 5, 5 } };
        KMeansResult r = KMeans.Fit(x, new KMeansOptions { K = 3, Restarts = 2 });
        Assert.Equal(0.0, r.Inertia, 12);
        Assert.Equal(3, r.Labels.Distinct().Count());
    }

    [Fact]
    public void Fit_KGreaterThanN_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => KMeans.Fit(new float[,] { { 0 }, { 1 } }, new KMeansOptions { K = 3 }));
        Assert.Contains("K = 3", e.Message);
        Assert.Contains("[2, 1]", e.Message);
    }

    [Fact]
    public void Fit_NoSamples_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => KMeans.Fit(new float[0, 4], new KMeansOptions { K = 1 }));
        Assert.Contains("no samples", e.Message);
    }

    [Fact]
    public void Fit_Infinity_ThrowsNamingPosition()
    {
        float[,] x = { { 0, 1 }, { float.PositiveInfinity, 1 } };
        var e = Assert.Throws<ArgumentException>(() => KMeans.Fit(x, new KMeansOptions { K = 1 }));
        Assert.Contains("infinite value at row 1, column 0", e.Message);
    }

    [Fact]
    public void Fit_InitialCentroidsWrongShape_Throws()
    {
        float[,] x = { { 0, 1 }, { 2, 3 }, { 4, 5 } };
        var e = Assert.Throws<ArgumentException>(() => KMeans.Fit(x, new KMeansOptions { K = 2, InitialCentroids = new float[2, 3] }));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[K, D] = [2, 2]", e.Message);
    }
}
