// Collection over token windows of a tiny random GPT-2: [B, T, C] activations, positions = tokens.

using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Interpret.Collection;
using Unravel.Models.Text;

namespace Unravel.Interpret.Tests.Collection;

public sealed class TokenCollectionTests
{
    [Fact]
    public void TinyGpt2_MlpPost_MatchesBruteForceOverTokens()
    {
        var model = new Gpt2(WeightSource.Initialize(3), new Gpt2Config(50, 16, 2, 2, 8));
        var rng = new Random(9);
        int windows = 23, length = 6;
        var data = new TokenWindowDataset(Enumerable.Range(0, windows * length).Select(_ => rng.Next(50)).ToArray(), length, "random tokens");
        var options = new CollectionOptions { TopK = 5, RandomSamples = 4, Quantiles = 3, HistogramBins = 8 };
        const string layer = "h.1.mlp.hook_post";
        CollectionResult result = Collector.Run(model, data, [layer], options, batchSize: 5);
        LayerStatisticsResult r = result.Layers.Single();
        Assert.Equal([length, 32], r.ItemShape);
        Assert.Equal(32, r.Neurons);
        Assert.Equal(length, r.Positions);

        var all = new List<float>();
        for (int s = 0; s < windows; s += 5)
            all.AddRange(model.RunWithCache(() => data.Forward(model, s, Math.Min(5, windows - s)), layer)[layer].ToArray());
        new BruteForce([.. all], windows, 32, length, channelsFirst: false).AssertMatches(r, null, options);
    }

    [Fact]
    public void TokenWindows_WithBos_StartEachWindowWithEndOfText()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Unravel.slnx"))) root = Path.GetDirectoryName(root)!;
        var tokenizer = Unravel.IO.Text.Gpt2Tokenizer.Load(Path.Combine(root, "assets", "gpt2-tokenizer", "encoder.json"),
            Path.Combine(root, "assets", "gpt2-tokenizer", "vocab.bpe"));
        string text = string.Concat(Enumerable.Repeat("The cat sat on the mat. ", 10));
        int[] encoded = tokenizer.Encode(text);
        TokenWindowDataset d = TokenWindowDataset.FromText(text, tokenizer, 8, bos: true, "cats");
        Assert.Equal(encoded.Length / 7, d.Count);
        for (int w = 0; w < d.Count; w++)
        {
            Assert.Equal(tokenizer.EndOfText, d.Tokens[w * 8]);
            Assert.Equal(encoded.AsSpan(w * 7, 7).ToArray(), d.Tokens.Slice(w * 8 + 1, 7).ToArray());
        }
    }
}
