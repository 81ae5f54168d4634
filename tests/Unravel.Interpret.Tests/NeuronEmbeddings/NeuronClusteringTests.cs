// Feature clusters and polysemanticity metrics against SciPy/scikit-learn (tools/fixtures/neuron_embeddings.py):
// average linkage on cosine distances, the 0.5 cut, MaxDist, MeanDist, pair-pooled intra/inter distances and the
// central member of each cluster (Foote 2024 §3.2-3.3).

using System.Text.Json;
using Unravel.Interpret.NeuronEmbeddings;
using Unravel.Interpret.Tests.Clustering;

namespace Unravel.Interpret.Tests.NeuronEmbeddings;

public sealed class NeuronClusteringTests
{
    internal static readonly Lazy<JsonElement> s_root = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "neuron_embeddings.json")));
        return doc.RootElement.Clone();
    });

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < s_root.Value.GetProperty("clusters").GetArrayLength(); i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cluster_MatchesScipyAndSklearn(int index)
    {
        JsonElement c = s_root.Value.GetProperty("clusters")[index];
        float[,] x = ClusteringFixture.Matrix(c.GetProperty("data"));
        int n = x.GetLength(0), d = x.GetLength(1);
        float[] rows = new float[n * d];
        Buffer.BlockCopy(x, 0, rows, 0, rows.Length * sizeof(float));
        FeatureClusters r = NeuronClustering.Cluster(rows, n, d);
        string name = c.GetProperty("name").GetString()!;

        double[] heights = ClusteringFixture.Doubles(c.GetProperty("heights"));
        Assert.Equal(heights.Length, r.Dendrogram.Heights.Count);
        for (int i = 0; i < heights.Length; i++) Assert.True(Math.Abs(heights[i] - r.Dendrogram.Heights[i]) < 1e-6, $"{name}: height {i}: {r.Dendrogram.Heights[i]} vs SciPy {heights[i]}");
        int[] expected = ClusteringFixture.Ints(c.GetProperty("labels"));
        Assert.Equal(ClusteringFixture.Canonical(expected), r.Labels);
        Assert.Equal(c.GetProperty("clusters").GetInt32(), r.Metrics.Clusters);
        Assert.Equal(c.GetProperty("max_dist").GetDouble(), r.Metrics.MaxDist, 1e-6);
        Assert.Equal(c.GetProperty("mean_dist").GetDouble(), r.Metrics.MeanDist, 1e-6);
        AssertOptional(c.GetProperty("intra"), r.Metrics.Intra);
        AssertOptional(c.GetProperty("inter"), r.Metrics.Inter);
        // Central members: the fixture keys clusters by scikit-learn's label; map through the first member.
        foreach (JsonProperty p in c.GetProperty("central").EnumerateObject())
        {
            int sk = int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture);
            int ours = r.Labels[Array.IndexOf(expected, sk)];
            Assert.Equal(p.Value.GetInt32(), r.Central[ours]);
            Assert.Equal(expected.Count(l => l == sk), r.Sizes[ours]);
        }
    }

    [Fact]
    public void Cluster_OneExample_Throws() =>
        Assert.Throws<ArgumentException>(() => NeuronClustering.Cluster(new float[4], 1, 4));

    [Fact]
    public void Summary_MedianAndMean_SkipUndefined()
    {
        MetricAggregate a = MetricAggregate.Of([3, double.NaN, 1, 10, 2]);
        Assert.Equal(2.5, a.Median);     // median of 1, 2, 3, 10
        Assert.Equal(4.0, a.Mean);
        Assert.Equal(4, a.Count);
        Assert.True(double.IsNaN(MetricAggregate.Of([double.NaN]).Median));
    }

    private static void AssertOptional(JsonElement expected, double actual)
    {
        if (expected.ValueKind == JsonValueKind.Null) Assert.True(double.IsNaN(actual), $"expected undefined, got {actual}");
        else Assert.Equal(expected.GetDouble(), actual, 1e-6);
    }
}
