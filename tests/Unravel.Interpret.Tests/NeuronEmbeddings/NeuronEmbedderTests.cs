// Neuron embeddings of a small GPT-2 with non-trivial layer-norm parameters: for the TransformerLens and Hugging Face
// readings, Σ_c e_c + b' equals the neuron's pre-activation (mlp.hook_pre) at the key position (Foote 2024 §3.1: summing
// the embedding and adding the bias is the neuron's computation); the residual reading multiplies hook_resid_mid by the
// folded, centred weights, and its normalisation gives back the TransformerLens embedding.

using Unravel.Interpret.Collection;
using Unravel.Interpret.NeuronEmbeddings;
using Unravel.Models;
using Unravel.Models.Text;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Tests.NeuronEmbeddings;

public sealed class NeuronEmbedderTests
{
    private const int Vocab = 40, Length = 12, Windows = 24, Layer = 1;

    internal static Gpt2 Model()
    {
        var model = new Gpt2(WeightSource.Initialize(5), new Gpt2Config(Vocab, 16, 2, 2, 16));
        var rng = new Random(9);
        // Random-init layer norms are γ = 1, β = 0, which would hide a wrong fold; give them real values.
        foreach (Gpt2Block block in model.H)
        {
            Span<float> g = block.Ln2.W.Value.Data, b = block.Ln2.B.Value.Data, bias = block.Mlp.CFc.B!.Value.Data;
            for (int i = 0; i < g.Length; i++) { g[i] = 0.5f + (float)rng.NextDouble(); b[i] = (float)rng.NextDouble() - 0.5f; }
            for (int i = 0; i < bias.Length; i++) bias[i] = 0.2f * ((float)rng.NextDouble() - 0.5f);
        }
        model.Eval();
        return model;
    }

    internal static TokenWindowDataset Data(int seed = 3)
    {
        var rng = new Random(seed);
        var tokens = new int[Windows * Length];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = rng.Next(Vocab);
        return new TokenWindowDataset(tokens, Length, "random tokens");
    }

    internal static CharacteristicExampleSet Examples(Gpt2 model, TokenWindowDataset data, int layer, int count = 6)
    {
        string hook = model.MlpLayer(layer).ActivationHook;
        var acc = new CharacteristicExamples(model.MlpLayer(layer).Neurons, new CharacteristicExampleOptions { Count = count });
        for (int s = 0; s < Windows; s += 8)
            acc.Update(model.RunWithCache(() => data.Forward(model, s, 8), hook)[hook], s);
        return acc.ToResult();
    }

    [Theory]
    [InlineData(EmbeddingVariant.TransformerLens)]
    [InlineData(EmbeddingVariant.HuggingFace)]
    public void SumOfEmbeddingPlusBias_EqualsPreActivationAtKeyToken(EmbeddingVariant variant)
    {
        Gpt2 model = Model();
        TokenWindowDataset data = Data();
        CharacteristicExampleSet examples = Examples(model, data, Layer);
        LayerEmbeddings emb = NeuronEmbedder.Compute(model, data, Layer, examples, variant, batchSize: 5);
        Assert.Equal(examples.Examples.Count(e => e.Length > 0), emb.Neurons.Count);
        Assert.True(emb.Neurons.Count > 30);
        string pre = model.MlpLayer(Layer).PreActivationHook;
        double maxDiff = 0;
        int checkedRows = 0;
        foreach (NeuronEmbeddingSet set in emb.Neurons)
            for (int k = 0; k < set.Count; k++)
            {
                CharacteristicExample ex = set.Examples[k];
                // The pre-activation from a fresh one-window run, not from the embedder's own batch.
                Tensor p = model.RunWithCache(() => data.Forward(model, [ex.Input]), pre)[pre];     // [1, T, F]
                float expected = p[0, ex.Position, set.Neuron];
                double sum = set.Bias;
                for (int d = 0; d < set.Width; d++) sum += set.Embeddings[k * set.Width + d];
                maxDiff = Math.Max(maxDiff, Math.Abs(sum - expected));
                Assert.Equal(expected, set.PreActivation[k], 1e-4f);
                checkedRows++;
            }
        Assert.True(maxDiff <= 1e-4, $"max |Σe + b' − pre| = {maxDiff:E2} over {checkedRows} examples");
    }

    [Fact]
    public void ResidualVariant_NormalisedRow_GivesTheTransformerLensEmbedding()
    {
        Gpt2 model = Model();
        TokenWindowDataset data = Data();
        CharacteristicExampleSet examples = Examples(model, data, Layer);
        TransformerMlp mlp = model.MlpLayer(Layer);
        LayerEmbeddings resid = NeuronEmbedder.Compute(model, data, Layer, examples, EmbeddingVariant.Residual);
        LayerEmbeddings tl = NeuronEmbedder.Compute(model, data, Layer, examples, EmbeddingVariant.TransformerLens);
        for (int s = 0; s < resid.Neurons.Count; s++)
        {
            NeuronEmbeddingSet r = resid.Neurons[s], t = tl.Neurons[s];
            Assert.Equal(t.Weights, r.Weights);
            int c = r.Width;
            for (int k = 0; k < r.Count; k++)
            {
                // x̂ = (x − mean) / sqrt(var + eps), written out here from hook_resid_mid.
                ReadOnlySpan<float> x = r.PreMlp.AsSpan(k * c, c);
                double mean = 0, var = 0;
                foreach (float v in x) mean += v;
                mean /= c;
                foreach (float v in x) var += (v - mean) * (v - mean);
                double rstd = 1 / Math.Sqrt(var / c + mlp.NormEps);
                for (int d = 0; d < c; d++)
                {
                    Assert.Equal(r.Weights[d] * x[d], r.Embeddings[k * c + d], 1e-6f);
                    Assert.Equal(t.Embeddings[k * c + d], (float)((x[d] - mean) * rstd * t.Weights[d]), 1e-4f);
                }
            }
        }
    }

    [Fact]
    public void Compute_ModelWithoutTransformerMlp_ThrowsWithHint()
    {
        var cnn = new Unravel.Models.Vision.SmallCnn(WeightSource.Initialize(1), new Unravel.Models.Vision.SmallCnnConfig([4]));
        var examples = new CharacteristicExampleSet(ExampleSelection.TopK, 1, 0.75f, 0, [1f], [[]], [true]);
        var e = Assert.Throws<ArgumentException>(() => NeuronEmbedder.Compute(cnn, Data(), 0, examples, EmbeddingVariant.TransformerLens));
        Assert.Contains("ITransformerMlpModel", e.Message);
    }
}
