// Similar features (Foote 2024 §4.1.1): the exact search against a direct double-precision scan over every pair of
// central-example embeddings, with the per-layer thresholds and the same-neuron exclusion.

using Unravel.Interpret.NeuronEmbeddings;
using Unravel.Models.Text;

namespace Unravel.Interpret.Tests.NeuronEmbeddings;

public sealed class SimilarFeaturesTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Find_EqualsDirectScan(bool acrossLayers)
    {
        Gpt2 model = NeuronEmbedderTests.Model();
        var data = NeuronEmbedderTests.Data();
        var layers = new List<(LayerEmbeddingResult, LayerEmbeddings)>();
        for (int l = 0; l < 2; l++)
        {
            LayerEmbeddings emb = NeuronEmbedder.Compute(model, data, l, NeuronEmbedderTests.Examples(model, data, l), EmbeddingVariant.TransformerLens);
            layers.Add((NeuronEmbeddingAnalysis.Run(emb, new NeuronEmbeddingOptions { CompareRaw = false }), emb));
        }
        var options = new SimilarFeatureOptions { Top = 7, Thresholds = [0.3, 0.1], AcrossLayers = acrossLayers };
        SimilarFeaturesResult r = SimilarFeatures.Find(layers, options);

        var vectors = new Dictionary<FeatureRef, double[]>();
        foreach ((LayerEmbeddingResult res, LayerEmbeddings emb) in layers)
            foreach (NeuronEmbeddingResult n in res.Neurons)
            {
                NeuronEmbeddingSet set = emb.Neurons.Single(s => s.Neuron == n.Neuron);
                for (int c = 0; c < n.Clusters.Central.Length; c++)
                    vectors[new FeatureRef(res.Layer, n.Neuron, c)] =
                        set.Embeddings.AsSpan(n.Clusters.Central[c] * set.Width, set.Width).ToArray().Select(v => (double)v).ToArray();
            }
        Assert.Equal(vectors.Count, r.Features.Count);
        Assert.Equal((long)vectors.Count * vectors.Count, r.Comparisons);
        static double Cos(double[] a, double[] b) =>
            a.Zip(b, (x, y) => x * y).Sum() / Math.Sqrt(a.Sum(x => x * x) * b.Sum(x => x * x));
        int nonEmpty = 0;
        for (int i = 0; i < r.Features.Count; i++)
        {
            FeatureRef f = r.Features[i];
            double threshold = f.Layer == 0 ? 0.3 : 0.1;
            double[] expected = vectors.Where(kv => kv.Key != f && !(kv.Key.Layer == f.Layer && kv.Key.Neuron == f.Neuron)
                    && (acrossLayers || kv.Key.Layer == f.Layer))
                .Select(kv => Cos(vectors[f], kv.Value)).Where(s => s >= threshold).OrderDescending().Take(7).ToArray();
            SimilarFeature[] got = r.Neighbours[i];
            Assert.Equal(expected.Length, got.Length);
            for (int k = 0; k < got.Length; k++)
            {
                Assert.True(Math.Abs(expected[k] - got[k].Similarity) < 1e-5, $"{f} rank {k}: {got[k].Similarity} vs {expected[k]}");
                Assert.True(Math.Abs(Cos(vectors[f], vectors[got[k].Feature]) - got[k].Similarity) < 1e-5);
                Assert.False(got[k].Feature.Layer == f.Layer && got[k].Feature.Neuron == f.Neuron);
            }
            if (got.Length > 0) nonEmpty++;
        }
        Assert.True(nonEmpty > 0, "some feature has a neighbour above the threshold");
    }
}
