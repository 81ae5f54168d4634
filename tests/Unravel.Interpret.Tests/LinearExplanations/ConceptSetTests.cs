// Concept lists, the concept filter and the seeded split of linear explanations (Oikarinen & Weng 2024).

using Unravel.Interpret.LinearExplanations;

namespace Unravel.Interpret.Tests.LinearExplanations;

public sealed class ConceptSetTests
{
    [Fact]
    public void Parse_MixedLineEndings_SplitsOnCrLfAndCrlfAndDropsEmpties()
    {
        Assert.Equal(["tench", "goldfish", "great white shark", "missile", "sunglasses"],
            ConceptList.Parse("tench\rgoldfish\r\ngreat white shark\n\n\r\r\n  missile \rsunglasses\r"));
        Assert.Empty(ConceptList.Parse("\r\n\r\n"));
    }

    [Fact]
    public void Filter_TopMeanAndStd_KeepsOnlyConfidentVaryingConcepts()
    {
        // 10 rows: c0 present in 5 rows (kept), c1 present in 2 rows (top-5 mean 0.4, dropped), c2 constant 1 (std 0,
        // dropped), c3 soft 0.6 in 5 rows (kept), c4 at most 0.49 (dropped).
        var v = new float[10 * 5];
        for (int i = 0; i < 10; i++)
        {
            v[i * 5] = i < 5 ? 1 : 0;
            v[i * 5 + 1] = i < 2 ? 1 : 0;
            v[i * 5 + 2] = 1;
            v[i * 5 + 3] = i >= 5 ? 0.6f : 0.1f;
            v[i * 5 + 4] = 0.49f * (i % 2);
        }
        var p = new ConceptMatrix(["a", "b", "c", "d", "e"], v, 10, new ConceptProvenance("labels", "t", ""));
        Assert.Equal([0, 3], ConceptFilter.Keep(p));
        ConceptMatrix kept = ConceptFilter.Apply(p);
        Assert.Equal(["a", "d"], kept.Names);
        Assert.Equal(0.6f, kept[7, 1]);
        Assert.Contains("kept 2 of 5", kept.Provenance.Detail);
    }

    [Fact]
    public void Split_Seeded_Is70_10_20DisjointAndReproducible()
    {
        DataSplit a = DataSplit.Create(10_000, 7), b = DataSplit.Create(10_000, 7), c = DataSplit.Create(10_000, 8);
        Assert.Equal((7000, 1000, 2000), (a.Train.Length, a.Val.Length, a.Test.Length));
        Assert.Equal(a.Test, b.Test);
        Assert.NotEqual(a.Test, c.Test);
        Assert.Equal(Enumerable.Range(0, 10_000), a.Train.Concat(a.Val).Concat(a.Test).Order());
        Assert.True(a.Train.SequenceEqual(a.Train.Order()));
    }

    [Fact]
    public void Split_ForWindows_KeepsEveryWindowInOneSplit()
    {
        DataSplit s = DataSplit.ForWindows(50, 64, 1);
        Assert.Equal((35 * 64, 5 * 64, 10 * 64), (s.Train.Length, s.Val.Length, s.Test.Length));
        var windowsOf = (int[] rows) => rows.Select(r => r / 64).ToHashSet();
        Assert.Empty(windowsOf(s.Train).Intersect(windowsOf(s.Test)));
        Assert.Empty(windowsOf(s.Val).Intersect(windowsOf(s.Train)));
        Assert.All(windowsOf(s.Test), w => Assert.Equal(64, s.Test.Count(r => r / 64 == w)));
    }

    [Fact]
    public void LabelConcepts_Build_OneHotPlusSuperclassMembership()
    {
        ConceptMatrix p = LabelConcepts.Build([2, 0, 1], ["a", "b", "c"], [new Superclass("ab", "x.n.01", [0, 1])], "t");
        Assert.Equal(["a", "b", "c", "ab"], p.Names);
        Assert.Equal([0f, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1], p.Values.ToArray());
        Assert.Throws<ArgumentException>(() => LabelConcepts.Build([3], ["a", "b", "c"], [], "t"));
    }
}
