// Linear explanations at token level (our extension of Oikarinen & Weng 2024 to language-model neurons; scoring by
// correlation pooled over every token of held-out windows, Bills et al. 2023): a planted token neuron over the shipped
// held-out Brown text, and the bounded-memory parallel fit of many neurons.

using Unravel.Interpret.Collection;
using Unravel.Interpret.LinearExplanations;
using Unravel.Interpret.Scoring;
using Unravel.IO.Text;
using Tensor = Unravel.Tensors.Tensor;

namespace Unravel.Interpret.Tests.LinearExplanations;

// GC.GetTotalAllocatedBytes counts the whole process: the allocation bound below holds only while no other test runs.
[CollectionDefinition(nameof(TokenLevelTests), DisableParallelization = true)]
public sealed class TokenLevelTestsCollection;

[Collection(nameof(TokenLevelTests))]
public sealed class TokenLevelTests
{
    private static string Root()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Unravel.slnx"))) root = Path.GetDirectoryName(root)!;
        return root;
    }

    [Fact]
    public void Run_PlantedTokenNeuron_FindsTagAndGenreOnHeldOutWindows()
    {
        string root = Root(), dir = Directory.CreateTempSubdirectory("unravel-le-brown-").FullName;
        try
        {
            string[] files = ["ca10", "ca20", "cb06", "cf09", "cg11", "cj16", "cr09"];
            string brown = Path.Combine(root, "assets", "data", "brown", "heldout");
            foreach (string f in files.Where(f => File.Exists(Path.Combine(brown, f)))) File.Copy(Path.Combine(brown, f), Path.Combine(dir, f));
            Assert.True(Directory.GetFiles(dir).Length == files.Length, "held-out Brown files missing");
            var tok = Gpt2Tokenizer.Load(Path.Combine(root, "assets", "gpt2-tokenizer", "encoder.json"), Path.Combine(root, "assets", "gpt2-tokenizer", "vocab.bpe"));
            TokenWindowDataset windows = TokenWindowDataset.FromBrown(dir, tok, 64, bos: true);
            TokenAnnotation[] a = BrownTokenAnnotator.Annotate(dir, tok, windows);
            ConceptMatrix p = TokenConcepts.Build(a, tok, SupersenseTable.Read(Path.Combine(root, "assets", "concepts", "brown-supersenses.tsv")), 50, "held-out Brown");

            int nns = p.IndexOf("tag:NNS"), genre = p.IndexOf("genre:press: reportage");
            Assert.True(nns >= 0 && genre >= 0, string.Join(", ", p.Names.Take(20)));
            var rng = new Random(2);
            var q = new float[p.Rows];
            for (int i = 0; i < q.Length; i++) q[i] = (float)(1.5 * p[i, nns] + 0.8 * p[i, genre] + 0.2 * (rng.NextDouble() - 0.5));
            Tensor act = Tensor.FromArray(q, p.Rows, 1);
            DataSplit split = DataSplit.ForWindows(windows.Count, windows.Length, seed: 1);

            LinearExplanation e = Assert.Single(LinearExplainer.Run(p, act, null, split, new LinearExplanationOptions()).Neurons);
            Assert.Equal(["tag:NNS", "genre:press: reportage"], e.Terms.Select(t => t.Concept));
            Assert.InRange(e.Terms[0].Weight, 1.5 * 0.95, 1.5 * 1.05);
            Assert.InRange(e.Terms[1].Weight, 0.8 * 0.95, 0.8 * 1.05);
            SimulationScore s = Scorer.Score(new LinearSimulator(e, p), act, 0, split);
            Assert.True(s.TestCorrelation > 0.95, $"per-token test r {s.TestCorrelation:F3}");
            Assert.Equal(split.Test.Length, s.TestRows);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Run_512NeuronsOver10kInputs_AllocatesBoundedMemory()
    {
        // 512 neurons, each a different class mix, over 10,000 inputs: the per-neuron work must not copy the activation
        // matrix or the concept matrix (a copy per neuron would allocate ≥ 512 × 40 kB × … ≫ the bound).
        var rng = new Random(3);
        int n = 10_000, k = 512;
        int[] labels = Enumerable.Range(0, n).Select(_ => rng.Next(10)).ToArray();
        ConceptMatrix p = LabelConcepts.Build(labels, Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray(),
            [new Superclass("s", "x", [1, 2, 3])], "planted");
        var q = new float[n * k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) q[i * k + j] = (labels[i] == j % 10 ? 1f + j % 7 : 0f) + (float)rng.NextDouble() * 0.1f;
        Tensor act = Tensor.FromArray(q, n, k);
        DataSplit split = DataSplit.Create(n, 0);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        LinearExplanationResult r = LinearExplainer.Run(p, act, null, split, new LinearExplanationOptions { Parallelism = 2 });
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(k, r.Neurons.Count);
        Assert.All(r.Neurons, e => Assert.Equal($"c{e.Neuron % 10}", e.Terms[0].Concept));
        // Shared: train/val column copies (~0.4 MB); per neuron: train/val activations and small vectors (~40 kB).
        Assert.True(allocated < 96L << 20, $"allocated {allocated >> 20} MiB");
    }
}
