// Similar features across neurons (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166,
// §4.1.1): each feature cluster is represented by its central example's neuron embedding, and its neighbours are the
// features whose representatives are most cosine-similar, above a per-layer threshold. The viewer used approximate
// k-NN (PyNNDescent); at our scale an exact search is cheap: unit rows, one [rows, C] × [C, M] product per block of
// 256 queries, so M² · C multiply-adds and 256 · M floats of scratch.

using Unravel.Tensors;

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Exact nearest-feature search.</summary>
public static class SimilarFeatures
{
    private const int Block = 256;

    /// <summary>Finds the nearest features of every cluster of the given layers.</summary>
    /// <param name="layers">Per layer, the clusters and the embeddings they were computed from.</param>
    /// <param name="options">How many, how similar, which layers.</param>
    /// <param name="cancellationToken">Checked between query blocks.</param>
    /// <exception cref="ArgumentException">A result names a neuron missing from its embeddings.</exception>
    public static SimilarFeaturesResult Find(IReadOnlyList<(LayerEmbeddingResult Result, LayerEmbeddings Embeddings)> layers,
        SimilarFeatureOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(options);
        var features = new List<FeatureRef>();
        var vectors = new List<float[]>();
        foreach ((LayerEmbeddingResult result, LayerEmbeddings embeddings) in layers)
        {
            Dictionary<int, NeuronEmbeddingSet> sets = embeddings.Neurons.ToDictionary(s => s.Neuron);
            foreach (NeuronEmbeddingResult r in result.Neurons)
            {
                if (!sets.TryGetValue(r.Neuron, out NeuronEmbeddingSet? set))
                    throw new ArgumentException($"similar features: layer {result.Layer} neuron {r.Neuron} has clusters but no embeddings.", nameof(layers));
                for (int c = 0; c < r.Clusters.Central.Length; c++)
                {
                    features.Add(new FeatureRef(result.Layer, r.Neuron, c));
                    vectors.Add(Central(r, set, c));
                }
            }
        }
        return Find(features, vectors, options, cancellationToken);
    }

    /// <summary>The central example's neuron embedding of cluster <paramref name="cluster"/> (not normalised).</summary>
    public static float[] Central(NeuronEmbeddingResult result, NeuronEmbeddingSet set, int cluster)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(set);
        return set.Embeddings.AsSpan(result.Clusters.Central[cluster] * set.Width, set.Width).ToArray();
    }

    /// <summary>Finds the nearest features among <paramref name="features"/>, each represented by its vector (e.g. the
    /// central embeddings stored by earlier runs on other layers); FeatureRef.Layer selects the threshold.</summary>
    /// <exception cref="ArgumentException">The lists differ in length, or the vectors in width.</exception>
    public static SimilarFeaturesResult Find(IReadOnlyList<FeatureRef> features, IReadOnlyList<float[]> representatives, SimilarFeatureOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(representatives);
        ArgumentNullException.ThrowIfNull(options);
        if (features.Count != representatives.Count)
            throw new ArgumentException($"similar features: {features.Count} features but {representatives.Count} vectors.", nameof(representatives));
        int width = representatives.Count > 0 ? representatives[0].Length : 0;
        if (representatives.Any(v => v.Length != width))
            throw new ArgumentException($"similar features: embeddings of width {representatives.First(v => v.Length != width).Length} and {width} cannot be compared.",
                nameof(representatives));
        float[][] vectors = [.. representatives.Select(v => Unit(v))];
        int m = features.Count;
        var neighbours = new SimilarFeature[m][];
        if (m == 0) return new SimilarFeaturesResult([.. features], neighbours, 0);
        var all = new float[m * width];
        for (int i = 0; i < m; i++) vectors[i].CopyTo(all, i * width);
        Tensor keys = Tensor.FromArray(all, m, width);                                   // [M, C]
        for (int start = 0; start < m; start += Block)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(Block, m - start);
            Tensor queries = Tensor.FromArray(all[(start * width)..((start + rows) * width)], rows, width);
            float[] sims = Ops.Linear(queries, keys).ToArray();                          // [rows, M]
            for (int q = 0; q < rows; q++)
            {
                FeatureRef f = features[start + q];
                double threshold = options.ThresholdOf(f.Layer);
                var found = new List<SimilarFeature>();
                for (int k = 0; k < m; k++)
                {
                    FeatureRef g = features[k];
                    if (k == start + q || (!options.AcrossLayers && g.Layer != f.Layer)
                        || (!options.SameNeuron && g.Layer == f.Layer && g.Neuron == f.Neuron)) continue;
                    double s = sims[q * m + k];
                    if (s >= threshold) found.Add(new SimilarFeature(g, s));
                }
                // List.Sort is unstable; the index tie-break is implicit in the stable OrderBy.
                neighbours[start + q] = found.OrderByDescending(x => x.Similarity).Take(options.Top).ToArray();
            }
        }
        return new SimilarFeaturesResult([.. features], neighbours, (long)m * m);
    }

    private static float[] Unit(ReadOnlySpan<float> v)
    {
        double norm = 0;
        foreach (float x in v) norm += (double)x * x;
        norm = Math.Sqrt(norm);
        var u = new float[v.Length];
        for (int i = 0; i < v.Length; i++) u[i] = norm > 0 ? (float)(v[i] / norm) : 0f;
        return u;
    }
}
