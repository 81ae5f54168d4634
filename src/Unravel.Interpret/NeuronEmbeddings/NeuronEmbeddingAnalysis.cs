// Clusters every neuron's embeddings of one layer and summarises the layer (A. Foote 2024, "Tackling Polysemanticity
// with Neuron Embeddings", arXiv 2411.08166, §3.2-3.3, Table 1), and measures how far a neuron's clusters agree with a
// gold labelling of its key tokens (adjusted Rand index and normalized mutual information).

using Unravel.Interpret.Clustering;

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>The per-layer analysis.</summary>
public static class NeuronEmbeddingAnalysis
{
    /// <summary>Clusters each neuron's embeddings (and raw pre-MLP vectors) and aggregates the metrics.</summary>
    /// <remarks>Neurons with fewer than two examples, or whose vectors include an all-zero row (cosine undefined), are
    /// listed in <see cref="LayerEmbeddingResult.TooFewExamples"/>.</remarks>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static LayerEmbeddingResult Run(LayerEmbeddings embeddings, NeuronEmbeddingOptions options,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(options);
        var results = new List<NeuronEmbeddingResult>();
        var tooFew = new List<int>();
        foreach (NeuronEmbeddingSet set in embeddings.Neurons)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (set.Count < 2 || HasZeroRow(set.Embeddings, set.Count, set.Width) || (options.CompareRaw && HasZeroRow(set.PreMlp, set.Count, set.Width)))
            {
                tooFew.Add(set.Neuron);
                continue;
            }
            FeatureClusters clusters = NeuronClustering.Cluster(set.Embeddings, set.Count, set.Width, options.Threshold, cancellationToken);
            FeatureClusters? raw = options.CompareRaw
                ? NeuronClustering.Cluster(set.PreMlp, set.Count, set.Width, options.Threshold, cancellationToken) : null;
            results.Add(new NeuronEmbeddingResult(set.Neuron, set.Examples, clusters, raw));
            progress?.Report(results.Count + tooFew.Count);
        }
        return new LayerEmbeddingResult(embeddings.Layer, embeddings.Variant, embeddings.Selection, options.Threshold, results, [.. tooFew],
            PolysemanticitySummary.Of(results.Select(r => r.Clusters.Metrics).ToList()),
            options.CompareRaw ? PolysemanticitySummary.Of(results.Select(r => r.Raw!.Metrics).ToList()) : null);
    }

    /// <summary>Per neuron, the agreement of its clusters with a gold label of each example (e.g. the part-of-speech
    /// tag of the key token): (neuron, ARI, NMI).</summary>
    /// <param name="result">The layer's clusters.</param>
    /// <param name="gold">The gold label of an example; examples labelled below 0 (unknown) are left out.</param>
    /// <param name="raw">Use the raw pre-MLP clusters instead of the neuron-embedding clusters.</param>
    /// <remarks>Effectively computes <c>adjusted_rand_score(gold, labels)</c> and
    /// <c>normalized_mutual_info_score(gold, labels)</c> per neuron over its examples with a known label.</remarks>
    public static IReadOnlyList<(int Neuron, double Ari, double Nmi)> Agreement(LayerEmbeddingResult result,
        Func<CharacteristicExample, int> gold, bool raw = false)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(gold);
        var rows = new List<(int, double, double)>();
        foreach (NeuronEmbeddingResult r in result.Neurons)
        {
            FeatureClusters? c = raw ? r.Raw : r.Clusters;
            if (c is null) continue;
            var g = new List<int>();
            var l = new List<int>();
            for (int k = 0; k < r.Examples.Length; k++)
            {
                int label = gold(r.Examples[k]);
                if (label < 0) continue;
                g.Add(label);
                l.Add(c.Labels[k]);
            }
            if (g.Count < 2) continue;
            rows.Add((r.Neuron, AdjustedRand.Index([.. g], [.. l]), MutualInformation.Normalized([.. g], [.. l])));
        }
        return rows;
    }

    private static bool HasZeroRow(float[] rows, int n, int width)
    {
        for (int i = 0; i < n; i++)
        {
            bool zero = true;
            for (int d = 0; d < width && zero; d++) zero = rows[i * width + d] == 0;
            if (zero) return true;
        }
        return false;
    }
}
