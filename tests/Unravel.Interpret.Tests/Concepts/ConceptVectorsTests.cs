// Concept vectors (O'Mahony et al. 2023) against a scikit-learn re-implementation of the authors' pipeline
// (tools/fixtures/concepts.py → Fixtures/concepts.json), hand-made outlier / min-size cases, and a planted
// polysemantic neuron (the sum of two units with different class selectivity).

using System.Text.Json;
using Unravel.Interpret.Clustering;
using Unravel.Interpret.Concepts;
using Unravel.Interpret.Tests.Clustering;
using Tensor = Unravel.Tensors.Tensor;

namespace Unravel.Interpret.Tests.Concepts;

public sealed class ConceptVectorsTests
{
    private static readonly Lazy<JsonElement> s_fixture = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "concepts.json")));
        return doc.RootElement.Clone();
    });

    public static TheoryData<int> Cases => [0, 1];

    private static JsonElement Case(int i) => s_fixture.Value.GetProperty("cases")[i];

    private static Tensor Pooled(JsonElement c)
    {
        float[,] m = ClusteringFixture.Matrix(c.GetProperty("pooled"));
        int n = m.GetLength(0), d = m.GetLength(1);
        var data = new float[n * d];
        Buffer.BlockCopy(m, 0, data, 0, data.Length * sizeof(float));
        return Tensor.FromArray(data, n, d);
    }

    private static float[,] TopMatrix(Tensor pooled, int[] rows)
    {
        int c = pooled.Shape[1];
        var x = new float[rows.Length, c];
        for (int i = 0; i < rows.Length; i++)
            for (int f = 0; f < c; f++) x[i, f] = pooled.Data[rows[i] * c + f];
        return x;
    }

    private static ConceptOptions AbsoluteOptions(JsonElement c) => new()
    {
        Cut = ConceptThreshold.Absolute(c.GetProperty("cut").GetDouble()), Outlier = ConceptThreshold.Absolute(c.GetProperty("radius").GetDouble()),
        MinSize = c.GetProperty("min_size").GetInt32(), ScoreTop = c.GetProperty("score_top").GetInt32(),
    };

    [Theory, MemberData(nameof(Cases))]
    public void WardCut_FixtureCase_MatchesSklearnDistanceThreshold(int i)
    {
        JsonElement c = Case(i);
        int[] top = ClusteringFixture.Ints(c.GetProperty("top_rows"));
        Dendrogram tree = Agglomerative.Fit(TopMatrix(Pooled(c), top));
        int[] expected = ClusteringFixture.Ints(c.GetProperty("ward_labels"));
        Assert.Equal(ClusteringFixture.Canonical(expected), ClusteringFixture.Canonical(tree.CutDistance(c.GetProperty("cut").GetDouble())));
    }

    [Theory, MemberData(nameof(Cases))]
    public void KMeansFromWardMeans_FixtureCase_MatchesSklearnLabelsAndInertia(int i)
    {
        JsonElement c = Case(i);
        int[] top = ClusteringFixture.Ints(c.GetProperty("top_rows"));
        float[,] x = TopMatrix(Pooled(c), top);
        int[] ward = ClusteringFixture.Ints(c.GetProperty("ward_labels"));
        int k = ward.Max() + 1, d = x.GetLength(1);
        var means = new float[k, d];
        for (int j = 0; j < k; j++)
        {
            int[] members = Enumerable.Range(0, ward.Length).Where(s => ward[s] == j).ToArray();
            for (int f = 0; f < d; f++) means[j, f] = (float)members.Average(s => (double)x[s, f]);
        }
        KMeansResult km = KMeans.Fit(x, new KMeansOptions { K = k, Restarts = 1, MaxIterations = 1000, InitialCentroids = means });
        JsonElement expected = c.GetProperty("kmeans");
        Assert.Equal(ClusteringFixture.Canonical(ClusteringFixture.Ints(expected.GetProperty("labels"))), ClusteringFixture.Canonical(km.Labels));
        ClusteringFixture.CloseRel(expected.GetProperty("inertia").GetDouble(), km.Inertia, 1e-5, 1e-6, "inertia");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Analyse_AbsoluteThresholds_MatchesSklearnPipeline(int i)
    {
        JsonElement c = Case(i);
        Tensor pooled = Pooled(c);
        int[] top = ClusteringFixture.Ints(c.GetProperty("top_rows"));
        ConceptResult r = ConceptVectors.Analyse(pooled, top, AbsoluteOptions(c));
        AssertMatchesFixture(c, r);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Analyse_RelativeThresholds_EqualAbsoluteAtTheScaledValues(int i)
    {
        JsonElement c = Case(i);
        double median = c.GetProperty("q25_pdist").GetDouble();
        ConceptOptions abs = AbsoluteOptions(c);
        // Factors that land exactly on the fixture's absolute values (up to rounding far from any merge height).
        ConceptOptions rel = abs with
        {
            Cut = ConceptThreshold.Scaled(abs.Cut.Value / median), Outlier = ConceptThreshold.Scaled(abs.Outlier.Value / median),
        };
        ConceptResult r = ConceptVectors.Analyse(Pooled(c), ClusteringFixture.Ints(c.GetProperty("top_rows")), rel);
        ClusteringFixture.CloseRel(median, r.Scale, 1e-6, 1e-9, "pairwise-distance quartile");
        ClusteringFixture.CloseRel(abs.Cut.Value, r.CutHeight, 1e-9, 1e-12, "cut height");
        AssertMatchesFixture(c, r);
    }

    private static void AssertMatchesFixture(JsonElement c, ConceptResult r)
    {
        int[] expectedLabels = ClusteringFixture.Ints(c.GetProperty("labels"));
        Assert.Equal(expectedLabels, r.Labels);   // both number concepts largest first, −1 for dropped
        JsonElement concepts = c.GetProperty("concepts");
        Assert.Equal(concepts.GetArrayLength(), r.Concepts.Length);
        int total = r.TopRows.Length;
        for (int j = 0; j < r.Concepts.Length; j++)
        {
            JsonElement e = concepts[j];
            Concept got = r.Concepts[j];
            Assert.Equal(ClusteringFixture.Ints(e.GetProperty("members")), got.Members);
            Assert.Equal((double)got.Size / total, got.Share, 12);
            double[] v = ClusteringFixture.Doubles(e.GetProperty("vector"));
            for (int f = 0; f < v.Length; f++) ClusteringFixture.CloseRel(v[f], got.Vector[f], 1e-5, 1e-6, $"concept {j} vector[{f}]");
            Assert.Equal(ClusteringFixture.Ints(e.GetProperty("top_rows")), got.TopRows);
            double[] s = ClusteringFixture.Doubles(e.GetProperty("top_scores"));
            for (int t = 0; t < s.Length; t++) ClusteringFixture.CloseRel(s[t], got.TopScores[t], 1e-5, 1e-5, $"concept {j} score[{t}]");
        }
    }

    /// <summary>Five points at (1, 1), one at (7, 1) and four far away at (100, 100).</summary>
    private static (Tensor Pooled, int[] Top) HandMade()
    {
        float[] data = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7, 1, 100, 100, 100, 100, 100, 100, 100, 100];
        return (Tensor.FromArray(data, 10, 2), Enumerable.Range(0, 10).ToArray());
    }

    [Fact]
    public void Analyse_PointAtExactlyTheRadius_IsAnOutlierAndSmallClusterIsDropped()
    {
        // Cluster A = 5×(1,1) + (7,1): centroid (2,1); ‖(7,1) − (2,1)‖² = 25 = 5², so radius 5 removes it (≥, as the
        // authors) and the five (1,1) remain (= MinSize, kept). Cluster B has 4 members < 5: dropped.
        (Tensor pooled, int[] top) = HandMade();
        ConceptResult r = ConceptVectors.Analyse(pooled, top,
            new ConceptOptions { Cut = ConceptThreshold.Absolute(20), Outlier = ConceptThreshold.Absolute(5), MinSize = 5, ScoreTop = 3 });
        Assert.Equal([0, 0, 0, 0, 0, -1, -1, -1, -1, -1], r.Labels);
        Concept a = Assert.Single(r.Concepts);
        Assert.Equal([0, 1, 2, 3, 4], a.Members);
        Assert.Equal(0.5, a.Share);
        Assert.Equal(MathF.Sqrt(0.5f), a.Vector[0], 6);
        Assert.Equal(MathF.Sqrt(0.5f), a.Vector[1], 6);
        // Projections: (100,100) → 200/√2 = 141.42 for rows 6..9; best first, ties to the lower row.
        Assert.Equal([6, 7, 8], a.TopRows);
        Assert.Equal(200 / Math.Sqrt(2), a.TopScores[0], 3);
        Assert.Equal(1, r.Polysemanticity.Concepts);
        Assert.Equal(1.0, r.Polysemanticity.Score, 12);
    }

    [Fact]
    public void Analyse_RadiusJustAbove_KeepsThePointAndMinSizeFourKeepsBothClusters()
    {
        (Tensor pooled, int[] top) = HandMade();
        ConceptResult r = ConceptVectors.Analyse(pooled, top,
            new ConceptOptions { Cut = ConceptThreshold.Absolute(20), Outlier = ConceptThreshold.Absolute(5.001), MinSize = 4 });
        Assert.Equal([0, 0, 0, 0, 0, 0, 1, 1, 1, 1], r.Labels);
        // A's mean (2, 1) / √5; B's mean (100, 100) / (100√2).
        Assert.Equal(2 / Math.Sqrt(5), r.Concepts[0].Vector[0], 6);
        Assert.Equal(1 / Math.Sqrt(5), r.Concepts[0].Vector[1], 6);
        Assert.Equal(Math.Sqrt(0.5), r.Concepts[1].Vector[0], 6);
        // Shares 0.6 / 0.4: exp(−0.6 ln 0.6 − 0.4 ln 0.4) = 1.9601.
        Assert.Equal(Math.Exp(-0.6 * Math.Log(0.6) - 0.4 * Math.Log(0.4)), r.Polysemanticity.Score, 12);
    }

    [Fact]
    public void Analyse_FewerThanMinSizeEverywhere_GivesZeroConcepts()
    {
        (Tensor pooled, int[] top) = HandMade();
        ConceptResult r = ConceptVectors.Analyse(pooled, top, new ConceptOptions { Cut = ConceptThreshold.Absolute(20), MinSize = 7 });
        Assert.Empty(r.Concepts);
        Assert.All(r.Labels, l => Assert.Equal(-1, l));
        Assert.Equal(0, r.Polysemanticity.Score);
    }

    [Fact]
    public void Analyse_IdenticalTopInputs_StayOneConcept()
    {
        var pooled = Tensor.FromArray(Enumerable.Repeat(new float[] { 3, 4 }, 8).SelectMany(v => v).ToArray(), 8, 2);
        ConceptResult r = ConceptVectors.Analyse(pooled, Enumerable.Range(0, 8).ToArray(), new ConceptOptions());
        Assert.Equal(0, r.Scale);
        Concept c = Assert.Single(r.Concepts);
        Assert.Equal(0.6f, c.Vector[0], 6);
        Assert.Equal(0.8f, c.Vector[1], 6);
    }

    [Fact]
    public void Analyse_BadInput_ThrowsArgumentException()
    {
        (Tensor pooled, _) = HandMade();
        Assert.Throws<ArgumentException>(() => ConceptVectors.Analyse(pooled, [0, 10], new ConceptOptions()));
        Assert.Throws<ArgumentException>(() => ConceptVectors.Analyse(pooled, [1, 1], new ConceptOptions()));
        Assert.Throws<ArgumentException>(() => ConceptVectors.Analyse(pooled, [0, 1], new ConceptOptions { MinSize = 0 }));
        Assert.Throws<ArgumentException>(() => ConceptVectors.Analyse(pooled, [0, 1], new ConceptOptions(), labels: [1, 2]));
        pooled.Data[3] = float.NaN;
        Assert.Throws<ArgumentException>(() => ConceptVectors.Analyse(pooled, [0, 1, 2], new ConceptOptions()));
    }

    [Fact]
    public void TopRows_Column_AreTheLargestValuesBestFirst()
    {
        var pooled = Tensor.FromArray([0, 5, 1, 2, 0, 9, 1, 2], 4, 2);
        Assert.Equal([2, 0, 1], ConceptVectors.TopRows(pooled, 1, 3));   // column 1 = 5, 2, 9, 2: tie 2/2 to the lower row
    }
}
