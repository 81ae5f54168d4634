// Agglomerative clustering against SciPy linkage/fcluster/dendrogram and scikit-learn AgglomerativeClustering fixtures.

using System.Text.Json;
using Unravel.Interpret.Clustering;
using static Unravel.Interpret.Tests.Clustering.ClusteringFixture;

namespace Unravel.Interpret.Tests.Clustering;

public sealed class AgglomerativeTests
{
    public static TheoryData<int> LinkageCases => Indices("linkage");

    private static (JsonElement Case, Dendrogram Tree, string Name) Fit(int index)
    {
        JsonElement c = Case("linkage", index);
        string dataset = c.GetProperty("dataset").GetString()!;
        Linkage linkage = Enum.Parse<Linkage>(c.GetProperty("linkage").GetString()!, ignoreCase: true);
        DistanceMetric metric = Enum.Parse<DistanceMetric>(c.GetProperty("metric").GetString()!, ignoreCase: true);
        Dendrogram tree = Agglomerative.Fit(Dataset(dataset), linkage, metric);
        return (c, tree, $"{dataset}/{linkage}/{metric}");
    }

    [Theory]
    [MemberData(nameof(LinkageCases))]
    public void Fit_SciPyFixture_HeightsMatch(int index)
    {
        (JsonElement c, Dendrogram tree, string name) = Fit(index);
        double[,] z = DoubleMatrix(c.GetProperty("z"));
        Assert.Equal(z.GetLength(0), tree.Merges.Count);
        for (int i = 0; i < tree.Merges.Count; i++)
            CloseRel(z[i, 2], tree.Merges[i].Height, 1e-5, 1e-9, $"{name} merge {i} height");
    }

    [Theory]
    [MemberData(nameof(LinkageCases))]
    public void Fit_TieFreeSciPyFixture_MergeStructureMatches(int index)
    {
        if (Case("linkage", index).GetProperty("tie_free").GetBoolean()) AssertStructure(index);
    }

    private static void AssertStructure(int index)
    {
        (JsonElement c, Dendrogram tree, string name) = Fit(index);
        double[,] z = DoubleMatrix(c.GetProperty("z"));
        for (int i = 0; i < tree.Merges.Count; i++)
        {
            Merge m = tree.Merges[i];
            Assert.True((int)z[i, 0] == m.Left && (int)z[i, 1] == m.Right && (int)z[i, 3] == m.Size,
                $"{name} merge {i}: SciPy ({z[i, 0]}, {z[i, 1]}, size {z[i, 3]}), ours ({m.Left}, {m.Right}, size {m.Size})");
        }
    }

    [Theory]
    [MemberData(nameof(LinkageCases))]
    public void CutCount_TieFreeFixture_MatchesFclusterMaxclust(int index)
    {
        (JsonElement c, Dendrogram tree, string name) = Fit(index);
        IReadOnlyList<double> h = tree.Heights;
        foreach (JsonProperty p in c.GetProperty("maxclust").EnumerateObject())
        {
            int k = int.Parse(p.Name);
            // fcluster(maxclust) can return fewer than k clusters when the heights around the cut tie.
            if (k > 1 && k < tree.LeafCount && h[^k] == h[^(k - 1)]) continue;
            int[] expected = Ints(p.Value);
            int[] ours = tree.CutCount(k);
            Assert.True(Canonical(expected).SequenceEqual(Canonical(ours)), $"{name} k={k}: labels differ up to permutation");
            Assert.Equal(k, ours.Distinct().Count());
        }
    }

    [Theory]
    [MemberData(nameof(LinkageCases))]
    public void CutDistance_Fixture_MatchesSklearnDistanceThreshold(int index)
    {
        (JsonElement c, Dendrogram tree, string name) = Fit(index);
        foreach (JsonElement t in c.GetProperty("threshold").EnumerateArray())
        {
            double threshold = t.GetProperty("t").GetDouble();
            int[] expected = Ints(t.GetProperty("labels"));
            int[] ours = tree.CutDistance(threshold);
            Assert.True(Canonical(expected).SequenceEqual(Canonical(ours)), $"{name} t={threshold}: labels differ up to permutation");
            Assert.Equal(expected.Distinct().Count(), tree.ClusterCountAt(threshold));
            // scikit-learn's distances_ are SciPy's heights (Ward included: the sqrt form).
            double[] sk = Doubles(t.GetProperty("distances"));
            for (int i = 0; i < sk.Length; i++) CloseRel(sk[i], tree.Heights[i], 1e-5, 1e-9, $"{name} sklearn distance {i}");
        }
    }

    [Theory]
    [MemberData(nameof(LinkageCases))]
    public void Layout_Fixture_MatchesSciPyDendrogram(int index)
    {
        JsonElement c = Case("linkage", index);
        // Leaf order depends on the tie-broken structure: ties are covered by the dedicated test.
        if (c.TryGetProperty("dendrogram", out _) && c.GetProperty("tie_free").GetBoolean()) AssertLayout(index);
    }

    private static void AssertLayout(int index)
    {
        (JsonElement c, Dendrogram tree, string name) = Fit(index);
        JsonElement dn = c.GetProperty("dendrogram");
        DendrogramLayout layout = tree.Layout();
        Assert.Equal(Ints(dn.GetProperty("leaves")), layout.Leaves);
        double[,] ic = DoubleMatrix(dn.GetProperty("icoord")), dc = DoubleMatrix(dn.GetProperty("dcoord"));
        Assert.Equal(ic.GetLength(0), layout.Links.Count);
        for (int i = 0; i < layout.Links.Count; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                CloseRel(ic[i, j], layout.Links[i].X[j], 1e-12, 1e-9, $"{name} icoord[{i}][{j}]");
                CloseRel(dc[i, j], layout.Links[i].Y[j], 1e-5, 1e-9, $"{name} dcoord[{i}][{j}]");
            }
        }
    }

    [Fact]
    public void Fit_TiesAndDuplicates_MatchesSciPyIncludingTieBreaks()
    {
        // The dedicated tie case: equal distances and duplicate points (height-0 merges). Integer coordinates give
        // bit-identical distances on both sides, and Agglomerative replays SciPy's nn_chain/MST scans and stable
        // sort, so even the tie-broken merge structure and the drawing layout agree.
        int cases = 0;
        for (int i = 0; i < Section("linkage").GetArrayLength(); i++)
        {
            if (Case("linkage", i).GetProperty("dataset").GetString() != "ties") continue;
            Assert.False(Case("linkage", i).GetProperty("tie_free").GetBoolean());
            Fit_SciPyFixture_HeightsMatch(i);
            AssertStructure(i);
            AssertLayout(i);
            cases++;
        }
        Assert.Equal(4, cases);
    }

    [Fact]
    public void CutDistance_ThresholdEqualToAHeight_UndoesThatMerge()
    {
        // 1-D points 0, 1, 3, 7: single-linkage heights are exactly 1, 2, 4.
        float[,] x = { { 0 }, { 1 }, { 3 }, { 7 } };
        Dendrogram tree = Agglomerative.Fit(x, Linkage.Single);
        Assert.Equal([1.0, 2.0, 4.0], tree.Heights.ToArray());
        // sklearn: k = count(heights >= t) + 1, so t = 2 undoes the merge at height 2.
        Assert.Equal(3, tree.ClusterCountAt(2.0));
        Assert.Equal([0, 0, 1, 2], tree.CutDistance(2.0));
        Assert.Equal(2, tree.ClusterCountAt(2.0000001));
        Assert.Equal([0, 0, 0, 1], tree.CutDistance(2.5));
        Assert.Equal([0, 1, 2, 3], tree.CutDistance(0.5));
        Assert.Equal([0, 0, 0, 0], tree.CutDistance(100));
    }

    [Fact]
    public void Fit_WardTwoGroups_HeightIsClosedForm()
    {
        // Ward height between U and V: sqrt(2|U||V|/(|U|+|V|)) · ‖μU − μV‖; here |U| = |V| = 2, ‖μU − μV‖ = 10.
        float[,] x = { { 0, 0 }, { 0, 1 }, { 10, 0 }, { 10, 1 } };
        Dendrogram tree = Agglomerative.Fit(x, Linkage.Ward);
        CloseRel(Math.Sqrt(2.0 * 2 * 2 / 4) * 10, tree.Merges[2].Height, 1e-12, 0, "ward root height");
        Assert.Equal(new Merge(4, 5, tree.Merges[2].Height, 4), tree.Merges[2]);
    }

    [Fact]
    public void Fit_OneSample_EmptyTreeAndSingleCluster()
    {
        Dendrogram tree = Agglomerative.Fit(new float[,] { { 1, 2 } }, Linkage.Average);
        Assert.Empty(tree.Merges);
        Assert.Equal([0], tree.CutDistance(1.0));
        Assert.Equal([0], tree.CutCount(1));
        Assert.Equal([0], tree.Layout().Leaves);
    }

    [Fact]
    public void Fit_SpanOverload_SameAsArray()
    {
        float[,] x = Dataset("blobs");
        float[] flat = x.Cast<float>().ToArray();
        Dendrogram a = Agglomerative.Fit(x, Linkage.Complete, DistanceMetric.Cosine);
        Dendrogram b = Agglomerative.Fit(flat, x.GetLength(0), x.GetLength(1), Linkage.Complete, DistanceMetric.Cosine);
        Assert.Equal(a.Merges, b.Merges);
    }

    [Fact]
    public void Fit_SpanLengthMismatch_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Agglomerative.Fit(new float[5], 2, 3));
        Assert.Contains("5 values but shape [2, 3] needs 6", e.Message);
    }

    [Fact]
    public void Fit_NoSamples_ThrowsNamingShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Agglomerative.Fit(new float[0, 3]));
        Assert.Contains("agglomerative", e.Message);
        Assert.Contains("[0, 3]", e.Message);
    }

    [Fact]
    public void Fit_NaN_ThrowsNamingPosition()
    {
        float[,] x = { { 0, 1 }, { 2, float.NaN } };
        var e = Assert.Throws<ArgumentException>(() => Agglomerative.Fit(x));
        Assert.Contains("NaN at row 1, column 1", e.Message);
    }

    [Fact]
    public void Fit_WardWithCosine_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Agglomerative.Fit(new float[,] { { 1 }, { 2 } }, Linkage.Ward, DistanceMetric.Cosine));
        Assert.Contains("Ward", e.Message);
    }

    [Fact]
    public void Fit_CosineWithZeroRow_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Agglomerative.Fit(new float[,] { { 1, 0 }, { 0, 0 } }, Linkage.Average, DistanceMetric.Cosine));
        Assert.Contains("row 1 is all zeros", e.Message);
    }

    [Fact]
    public void CutCount_OutOfRange_Throws()
    {
        Dendrogram tree = Agglomerative.Fit(new float[,] { { 0 }, { 1 }, { 2 } });
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.CutCount(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.CutCount(4));
    }

    [Fact]
    public void Fit_Cancelled_Throws()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Agglomerative.Fit(Dataset("blobs"), Linkage.Ward, cancellationToken: cts.Token));
    }
}
