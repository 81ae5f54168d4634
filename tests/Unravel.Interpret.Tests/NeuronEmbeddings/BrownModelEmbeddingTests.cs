// Neuron embeddings (Foote 2024) on the shipped Brown language model: characteristic examples over held-out Brown
// windows (64 tokens with a BOS, as the demo collects them), the three embedding variants, clusters of neuron
// embeddings vs raw pre-MLP vectors (the paper's Table 1 comparison), agreement with the gold POS tags of the key
// tokens, similar features and token importance. By default a slice of the data and one layer (a few seconds); set
// UNRAVEL_EMBED_FULL=1 for every held-out window and all four layers, which prints the Table 1 analogue.

using System.Diagnostics;
using System.Globalization;
using Unravel.Interpret.Collection;
using Unravel.Interpret.NeuronEmbeddings;
using Unravel.Interpret.Sae;
using Unravel.IO.Text;
using Unravel.Models;
using Unravel.Nn;
using Unravel.Tensors;
using Xunit.Abstractions;

namespace Unravel.Interpret.Tests.NeuronEmbeddings;

[Trait("Requires", "Weights")]
public sealed class BrownModelEmbeddingTests(ITestOutputHelper output)
{
    private const int Window = 64;

    private static string Assets(params string[] parts)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "assets");
            if (Directory.Exists(Path.Combine(candidate, "models"))) return Path.Combine([candidate, .. parts]);
        }
        throw new DirectoryNotFoundException("assets/models not found above the test binaries");
    }

    [Fact]
    public void BrownModel_NeuronEmbeddings_SplitNeuronsAndMatchTheModel()
    {
        bool full = Environment.GetEnvironmentVariable("UNRAVEL_EMBED_FULL") == "1";
        var total = Stopwatch.StartNew();
        var watch = Stopwatch.StartNew();
        RootModule model = ModelLoader.Load(Assets("models", "brown-gpt2", "model.safetensors"), "brown-gpt2");
        model.Eval();
        var mlpModel = (ITransformerMlpModel)model;
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.Load(Assets("gpt2-tokenizer", "encoder.json"), Assets("gpt2-tokenizer", "vocab.bpe"));
        string folder = Assets("data", "brown", "heldout");
        TokenWindowDataset data = TokenWindowDataset.FromBrown(folder, tokenizer, Window, bos: true);
        (int[] encoded, int[] tags, IReadOnlyList<string> tagNames) = BrownTokenTags.Encode(BrownCorpus.ListFiles(folder), tokenizer);
        // The tagged tokens are the dataset's tokens: window w, position p ≥ 1 is encoded token w·(L − 1) + p − 1.
        for (int w = 0; w < data.Count; w++)
            Assert.True(data.Window(w)[1..].SequenceEqual(encoded.AsSpan(w * (Window - 1), Window - 1)), $"window {w} differs from the tagged tokens");
        double taggedShare = tags.Count(t => t >= 0) / (double)tags.Length;
        Assert.True(taggedShare > 0.9, $"only {taggedShare:P1} of tokens got a tag");
        int Tag(CharacteristicExample e) => e.Position == 0 ? -1 : tags[(int)e.Input * (Window - 1) + e.Position - 1];
        int windows = full ? data.Count : 256;
        int[] layers = full ? Enumerable.Range(0, mlpModel.MlpLayerCount).ToArray() : [2];
        Report($"load + tag: {watch.Elapsed.TotalSeconds:F1} s; {data.Count} windows of {Window}, using {windows}; {tagNames.Count} coarse tags, {taggedShare:P1} of tokens tagged");

        // Characteristic examples: one pass over the windows, every MLP layer.
        watch.Restart();
        var accumulators = layers.ToDictionary(l => l, l => new CharacteristicExamples(mlpModel.MlpLayer(l).Neurons, new CharacteristicExampleOptions()));
        string[] hooks = layers.Select(l => mlpModel.MlpLayer(l).ActivationHook).ToArray();
        for (int s = 0; s < windows; s += 32)
        {
            int n = Math.Min(32, windows - s);
            int[] tokens = data.Tokens.Slice(s * Window, n * Window).ToArray();
            ActivationCache cache = model.RunWithCache(() => mlpModel.ForwardThroughLayer(tokens, n, Window, layers.Max()), hooks);
            foreach (int l in layers) accumulators[l].Update(cache[mlpModel.MlpLayer(l).ActivationHook], s);
        }
        var examples = layers.ToDictionary(l => l, l => accumulators[l].ToResult());
        Report($"examples (first 100 at ≥ 0.75 × max): {watch.Elapsed.TotalSeconds:F1} s; peak candidates per neuron " +
            string.Join(", ", layers.Select(l => $"L{l} {Enumerable.Range(0, accumulators[l].Neurons).Max(accumulators[l].CandidateCount)}")));
        foreach (int l in layers) Assert.All(examples[l].Exact, Assert.True);

        var tlLayers = new List<(LayerEmbeddingResult, LayerEmbeddings)>();
        Report("layer variant   n  few  ≥2cl | NE intra med/mean  inter med/mean | raw intra med/mean  inter med/mean | NE maxd meand clusters(med/mean) | ARI med/mean NMI med/mean (all; ≥2 clusters) | raw ARI/NMI mean | s");
        foreach (int l in layers)
            foreach (EmbeddingVariant variant in Enum.GetValues<EmbeddingVariant>())
            {
                watch.Restart();
                LayerEmbeddings emb = NeuronEmbedder.Compute(model, data, l, examples[l], variant, batchSize: 64);
                if (variant != EmbeddingVariant.Residual)
                {
                    double maxDiff = 0;
                    foreach (NeuronEmbeddingSet set in emb.Neurons)
                        for (int k = 0; k < set.Count; k++)
                        {
                            double sum = set.Bias;
                            for (int d = 0; d < set.Width; d++) sum += set.Embeddings[k * set.Width + d];
                            maxDiff = Math.Max(maxDiff, Math.Abs(sum - set.PreActivation[k]));
                        }
                    Assert.True(maxDiff <= 1e-4, $"layer {l} {variant}: max |Σe + b' − pre| = {maxDiff:E2}");
                }
                LayerEmbeddingResult r = NeuronEmbeddingAnalysis.Run(emb, new NeuronEmbeddingOptions());
                var agree = NeuronEmbeddingAnalysis.Agreement(r, Tag);
                var agreeRaw = NeuronEmbeddingAnalysis.Agreement(r, Tag, raw: true);
                var multi = r.Neurons.Where(x => x.Clusters.Metrics.Clusters >= 2).Select(x => x.Neuron).ToHashSet();
                var agreeMulti = agree.Where(a => multi.Contains(a.Neuron)).ToList();
                PolysemanticitySummary s = r.Summary, raw = r.RawSummary!;
                Report(string.Create(CultureInfo.InvariantCulture,
                    $"L{l} {variant,-15} {s.Neurons,4} {r.TooFewExamples.Length,3} {s.MultiClusterShare,5:P0} | " +
                    $"{s.Intra.Median:F3}/{s.Intra.Mean:F3} {s.Inter.Median:F3}/{s.Inter.Mean:F3} | {raw.Intra.Median:F3}/{raw.Intra.Mean:F3} {raw.Inter.Median:F3}/{raw.Inter.Mean:F3} | " +
                    $"{s.MaxDist.Median:F3} {s.MeanDist.Median:F3} {s.Clusters.Median:F1}/{s.Clusters.Mean:F2} (raw {raw.Clusters.Median:F1}/{raw.Clusters.Mean:F2}, ≥2cl {raw.MultiClusterShare:P0}) | " +
                    $"{Agg(agree, a => a.Ari)} {Agg(agree, a => a.Nmi)} ; {Agg(agreeMulti, a => a.Ari)} {Agg(agreeMulti, a => a.Nmi)} | " +
                    $"{Agg(agreeRaw, a => a.Ari)} {Agg(agreeRaw, a => a.Nmi)} | {watch.Elapsed.TotalSeconds:F1}"));
                Assert.True(s.Neurons > 0);
                Assert.True(s.MultiClusterShare > 0, $"layer {l} {variant}: no neuron splits into two or more clusters");
                if (variant == EmbeddingVariant.TransformerLens) tlLayers.Add((r, emb));
            }

        watch.Restart();
        SimilarFeaturesResult similar = SimilarFeatures.Find(tlLayers, new SimilarFeatureOptions());
        Report($"similar features (TL, across layers): {similar.Features.Count} features, {similar.Comparisons:N0} similarities, " +
            $"{similar.Neighbours.Count(x => x.Length > 0)} with a neighbour, {watch.Elapsed.TotalSeconds:F2} s");
        Assert.Contains(similar.Neighbours, x => x.Length > 0);

        // Token importance for the central example of each cluster of the first 16 multi-cluster neurons of the last layer.
        watch.Restart();
        (LayerEmbeddingResult last, _) = tlLayers[^1];
        var requests = last.Neurons.Where(x => x.Clusters.Metrics.Clusters >= 2).Take(16)
            .SelectMany(x => x.Clusters.Central.Select(c => x.Examples[c]).Select(e => new TokenImportanceRequest(data.Window(e.Input).ToArray(), e.Position, x.Neuron)))
            .ToList();
        IReadOnlyList<TokenImportanceResult> importance = TokenImportance.Compute(model, last.Layer, requests, new TokenImportanceOptions { Replacement = tokenizer.EndOfText });
        int keyMost = Enumerable.Range(0, requests.Count).Count(i => Array.IndexOf(importance[i].Importance, importance[i].Importance.Max()) == requests[i].Position);
        Report($"token importance: {requests.Count} examples × ≤ 20 replacements in {watch.Elapsed.TotalSeconds:F1} s; the key token is the most important in {keyMost}");
        Report($"total {total.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void BrownModel_Sae_WithAndWithoutNeuronEmbeddingLoss()
    {
        bool full = Environment.GetEnvironmentVariable("UNRAVEL_EMBED_FULL") == "1";
        var watch = Stopwatch.StartNew();
        RootModule model = ModelLoader.Load(Assets("models", "brown-gpt2", "model.safetensors"), "brown-gpt2");
        model.Eval();
        var mlpModel = (ITransformerMlpModel)model;
        var lm = (Unravel.Models.Text.ILanguageModel)model;
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.Load(Assets("gpt2-tokenizer", "encoder.json"), Assets("gpt2-tokenizer", "vocab.bpe"));
        TokenWindowDataset data = TokenWindowDataset.FromBrown(Assets("data", "brown", "heldout"), tokenizer, Window, bos: true);
        const int layer = 2;
        TransformerMlp mlp = mlpModel.MlpLayer(layer);
        int trainWindows = full ? 1600 : 128, evalWindows = full ? data.Count - 1600 : 32, d = mlp.Width;
        float[] Inputs(int first, int count)
        {
            var rows = new List<float>();
            for (int s = first; s < first + count; s += 64)
            {
                int n = Math.Min(64, first + count - s);
                int[] tokens = data.Tokens.Slice(s * Window, n * Window).ToArray();
                Tensor h = model.RunWithCache(() => mlpModel.ForwardThroughLayer(tokens, n, Window, layer), mlp.InputHook)[mlp.InputHook];
                // Skip the BOS position: its input is the same in every window.
                for (int i = 0; i < n; i++) rows.AddRange(h.Data.Slice((i * Window + 1) * d, (Window - 1) * d).ToArray());
            }
            return [.. rows];
        }
        float[] train = Inputs(0, trainWindows), eval = Inputs(trainWindows, evalWindows);
        int trainRows = train.Length / d, evalRows = eval.Length / d;
        double baseLoss = LanguageModelLoss(lm, data, trainWindows, evalWindows);
        Report($"SAE on {mlp.InputHook} (the MLP input, width {d}): {trainRows} training rows, {evalRows} evaluation rows; model loss {baseLoss:F4}; {watch.Elapsed.TotalSeconds:F1} s");
        Report("variant        MSE     L1      L0%     dead%  loss+  MaxDist med/mean  MeanDist med/mean  size med | s");
        var results = new List<SaeEvaluation>();
        foreach (float lambda2 in new[] { 0f, 1e-4f })
        {
            watch.Restart();
            var options = new Unravel.Interpret.Sae.SaeOptions
            {
                Latents = full ? 8 * d : 2 * d, Steps = full ? trainRows / 64 : 200, BatchSize = 64, LearningRate = 1e-3f, L1 = 1e-2f,
                NeuronEmbedding = lambda2, Seed = 0,
            };
            SaeResult r = SaeTrainer.Train(train, trainRows, d, options);
            SaeEvaluation e = SaeEvaluator.Evaluate(r.Model, eval, evalRows);
            double spliced;
            using (model.Hooks.Add(mlp.InputHook, (_, t) =>
            {
                Tensor flat = t.Reshape(t.Length / d, d);
                return r.Model.Decode(r.Model.Encode(flat)).Reshape([.. t.Shape]);
            }))
                spliced = LanguageModelLoss(lm, data, trainWindows, evalWindows);
            Report(string.Create(CultureInfo.InvariantCulture,
                $"{(lambda2 == 0 ? "standard" : $"+NE λ2={lambda2:G2}"),-14} {e.Mse:F4}  {e.L1:F3}  {100 * e.L0Share:F2}  {100 * e.DeadShare:F1}  {spliced - baseLoss:F4}  " +
                $"{e.MaxDist.Median:F3}/{e.MaxDist.Mean:F3}  {e.MeanDist.Median:F3}/{e.MeanDist.Mean:F3}  {e.Size.Median:F0} | {watch.Elapsed.TotalSeconds:F1}"));
            Assert.True(e.Mse < eval.Select(v => (double)v * v).Average(), "the SAE reconstructs better than zero");
            results.Add(e);
        }
    }

    /// <summary>Mean next-token cross-entropy (nats) over windows [first, first + count), BOS position included as context.</summary>
    private static double LanguageModelLoss(Unravel.Models.Text.ILanguageModel lm, TokenWindowDataset data, int first, int count)
    {
        double total = 0;
        long n = 0;
        for (int s = first; s < first + count; s += 16)
        {
            int b = Math.Min(16, first + count - s);
            int[] tokens = data.Tokens.Slice(s * Window, b * Window).ToArray();
            float[] logits = lm.Forward(tokens, b, Window).ToArray();
            int v = lm.VocabSize;
            for (int i = 0; i < b; i++)
                for (int t = 0; t < Window - 1; t++)
                {
                    ReadOnlySpan<float> row = logits.AsSpan(((i * Window) + t) * v, v);
                    float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
                    double sum = 0;
                    foreach (float x in row) sum += Math.Exp(x - max);
                    total += max + Math.Log(sum) - row[tokens[i * Window + t + 1]];
                    n++;
                }
        }
        return total / n;
    }

    private static string Agg(IReadOnlyList<(int Neuron, double Ari, double Nmi)> rows, Func<(int Neuron, double Ari, double Nmi), double> pick)
    {
        MetricAggregate a = MetricAggregate.Of(rows.Select(pick));
        return string.Create(CultureInfo.InvariantCulture, $"{a.Median:F2}/{a.Mean:F2}");
    }

    private void Report(string line) => output.WriteLine(line);
}
