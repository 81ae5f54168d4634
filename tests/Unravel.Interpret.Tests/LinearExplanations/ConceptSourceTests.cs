// Concept sources of linear explanations: the shipped WordNet tables (superclasses by the rule of Oikarinen & Weng 2024,
// supersenses), the sigmoid calibration of model concepts, and token annotations of Brown windows.

using Unravel.Interpret.Collection;
using Unravel.Interpret.LinearExplanations;
using Unravel.IO.Text;

namespace Unravel.Interpret.Tests.LinearExplanations;

public sealed class ConceptSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-le-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Root()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Unravel.slnx"))) root = Path.GetDirectoryName(root)!;
        return root;
    }

    private static Gpt2Tokenizer Tokenizer(string root) =>
        Gpt2Tokenizer.Load(Path.Combine(root, "assets", "gpt2-tokenizer", "encoder.json"), Path.Combine(root, "assets", "gpt2-tokenizer", "vocab.bpe"));

    [Fact]
    public void FashionSuperclasses_ShippedTable_FollowsTheHypernymRule()
    {
        (string[] classes, Superclass[] supers) = LabelConcepts.ReadTable(Path.Combine(Root(), "assets", "concepts", "fashion-mnist-superclasses.json"));
        Assert.Equal(10, classes.Length);
        Assert.Equal("Ankle boot", classes[9]);
        // Every superclass covers ≥ 2 classes and no two share a class set.
        Assert.All(supers, s => Assert.True(s.Classes.Count >= 2, s.Name));
        Assert.Equal(supers.Length, supers.Select(s => string.Join(",", s.Classes)).Distinct().Count());
        Assert.Equal([5, 7, 9], supers.Single(s => s.Name == "footwear").Classes); // sandal, sneaker, boot
        Assert.Equal([5, 7], supers.Single(s => s.Name == "shoe").Classes);
    }

    [Fact]
    public void Supersenses_ShippedTable_HoldsBrownWords()
    {
        SupersenseTable t = SupersenseTable.Read(Path.Combine(Root(), "assets", "concepts", "brown-supersenses.tsv"));
        Assert.True(t.Count > 5000, $"{t.Count} entries");
        Assert.Equal("noun.person", t.Find("attorney", 'n'));
        Assert.Null(t.Find("attorney", 'v'));
    }

    [Fact]
    public void Calibrate_ScoresFromAKnownSigmoid_RecoversSlopeAndShift()
    {
        // Targets drawn as Bernoulli(σ(10·(s − 0.3))): the grid search must land on a ≈ 10, b ≈ −0.3.
        var rng = new Random(4);
        int n = 4000;
        var scores = new float[n];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            scores[i] = (float)rng.NextDouble();
            y[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-10 * (scores[i] - 0.3))) ? 1 : 0;
        }
        var targets = new ConceptMatrix(["c"], y, n, new ConceptProvenance("labels", "t", ""));
        SigmoidCalibration cal = ModelConcepts.Calibrate(scores, targets, Enumerable.Range(0, n).ToArray());
        Assert.InRange(cal.A, 7, 14);
        Assert.InRange(cal.B, -0.34, -0.26);
        // A second column whose target is 1 on every row (a superclass of every class) must not move the fit.
        var scores2 = scores.SelectMany(v => new[] { v, 1f }).ToArray();
        var targets2 = new ConceptMatrix(["c", "all"], y.SelectMany(v => new[] { v, 1f }).ToArray(), n, new ConceptProvenance("labels", "t", ""));
        Assert.Equal(cal, ModelConcepts.Calibrate(scores2, targets2, Enumerable.Range(0, n).ToArray()));
        ConceptMatrix p = ModelConcepts.Build(scores, ["c"], cal, "t");
        Assert.Equal(1 / (1 + Math.Exp(-cal.A * (scores[0] + cal.B))), p[0, 0], 1e-6);
    }

    [Fact]
    public void WithSuperclasses_SumsMemberScores()
    {
        float[] s = ModelConcepts.WithSuperclasses([0.1f, 0.2f, 0.7f], 3, [new Superclass("ab", "x", [0, 1])]);
        Assert.Equal([0.1f, 0.2f, 0.7f, 0.3f], s, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Annotate_BrownWindows_GivesEachTokenItsWordTagAndGenre()
    {
        File.WriteAllText(Path.Combine(_dir, "ca01"), "\n\n\tThe/at Fulton/np-tl County/nn-tl said/vbd ``/`` no/at evidence/nn ''/'' ./.\n");
        File.WriteAllText(Path.Combine(_dir, "cr02"), "\n\tHe/pps laughed/vbd loudly/rb ./.\n");
        string root = Root();
        Gpt2Tokenizer tok = Tokenizer(root);
        TokenWindowDataset windows = TokenWindowDataset.FromBrown(_dir, tok, 2, bos: true); // one token per window: nothing is dropped
        TokenAnnotation[] a = BrownTokenAnnotator.Annotate(_dir, tok, windows);
        Assert.Equal(windows.Count * 2, a.Length);
        Assert.Null(a[0].Tag); // BOS
        string[] texts = a.Select(t => tok.TokenText(t.TokenId)).ToArray();
        int said = Array.IndexOf(texts, " said");
        Assert.Equal(("said", "vbd", "press: reportage"), (a[said].Word, a[said].Tag, a[said].Genre));
        int loud = Array.FindIndex(texts, t => t.StartsWith(" loud", StringComparison.Ordinal));
        Assert.Equal(("loudly", "rb", "humor"), (a[loud].Word, a[loud].Tag, a[loud].Genre));

        ConceptMatrix p = TokenConcepts.Build(a, tok, SupersenseTable.Read(Path.Combine(root, "assets", "concepts", "brown-supersenses.tsv")), 3, "test");
        Assert.Equal(1f, p[said, p.IndexOf("tag:VBD")]);
        Assert.Equal(1f, p[said, p.IndexOf("pos:verb")]);
        Assert.Equal(1f, p[said, p.IndexOf("sense:verb.communication")]);
        Assert.Equal(1f, p[loud, p.IndexOf("genre:humor")]);
        Assert.Equal(0f, p[loud, p.IndexOf("genre:press: reportage")]);
        Assert.Equal(3, p.Names.Count(n => n.StartsWith("token:", StringComparison.Ordinal)));
    }

    [Fact]
    public void Annotate_WindowsOfOtherText_Throws()
    {
        File.WriteAllText(Path.Combine(_dir, "ca01"), "\n\tThe/at cat/nn sat/vbd on/in the/at mat/nn ./.\n");
        Gpt2Tokenizer tok = Tokenizer(Root());
        TokenWindowDataset other = TokenWindowDataset.FromText("Something else entirely, said nobody.", tok, 3, false, "x");
        Assert.Throws<ArgumentException>(() => BrownTokenAnnotator.Annotate(_dir, tok, other));
    }
}
