// PURE's metric 1 (official eval_CLIP_alignment.py; docs/methods/pure.md): per neuron,
// embed its references with an independent judge, and compare the mean within-cluster and between-cluster Euclidean
// distances under the labels of each method, with the same k: PURE (k-means on circuits), activation clustering
// (O'Mahony et al. 2023: k-means on the spatial mean of relu(A^l) over all channels), random labels (PURE's cluster
// sizes, shuffled; averaged over 10 shuffles) and k-means on the judge embedding itself (an upper bound). The reported
// error is std/√n (the authors' code divides by n, spec §6).

using Unravel.Interpret.Clustering;

namespace Unravel.Interpret.Pure;

/// <summary>Intra-/inter-cluster distances of PURE and baselines.</summary>
public static class PureEvaluator
{
    /// <summary>Method names, in table order.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["pure", "activation", "random", "judge-kmeans"];

    private const int Shuffles = 10;

    /// <summary>Mean pairwise Euclidean distances within and between clusters.</summary>
    /// <exception cref="ArgumentException">Fewer than 2 rows, or labels of another length.</exception>
    public static ClusterDistances Distances(IReadOnlyList<float[]> embeddings, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        int n = embeddings.Count;
        if (n < 2 || labels.Length != n)
            throw new ArgumentException($"pure: distances need ≥ 2 embeddings and one label each (got {n} and {labels.Length}).", nameof(labels));
        double intra = 0, inter = 0;
        long nIntra = 0, nInter = 0;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                if (a == b) continue;
                double d = Euclidean(embeddings[a], embeddings[b]);
                if (labels[a] == labels[b]) { intra += d; nIntra++; }
                else { inter += d; nInter++; }
            }
        double overall = (intra + inter) / (nIntra + nInter);
        double mi = nIntra > 0 ? intra / nIntra : inter / nInter;
        double me = nInter > 0 ? inter / nInter : mi;
        return new ClusterDistances(mi, me, overall);
    }

    /// <summary>Evaluates every neuron of <paramref name="result"/> with k ≥ 2 and at least 3 references.</summary>
    public static PureEvaluation Evaluate(PureResult result, IJudgeEmbedding judge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(judge);
        PureOptions o = result.Options;
        var perNeuron = new List<NeuronEvaluation>();
        foreach (PureNeuronResult n in result.Neurons)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (n.K < 2 || n.References.Length < 3) continue;
            float[][] e = judge.Embed(n.References);
            var methods = new Dictionary<string, ClusterDistances>
            {
                ["pure"] = Distances(e, n.Labels),
                ["activation"] = Distances(e, VirtualNeurons.Fit(PureAnalysis.ToMatrix(n.Pooled), n.K, o.Restarts, o.Seed).Labels),
                ["random"] = Shuffled(e, n.Labels, o.Seed + n.Neuron),
                ["judge-kmeans"] = Distances(e, VirtualNeurons.Fit(PureAnalysis.ToMatrix(e), n.K, o.Restarts, o.Seed).Labels),
            };
            perNeuron.Add(new NeuronEvaluation(n.Neuron, methods));
        }
        var summary = Methods.Select(m =>
        {
            double[] gaps = perNeuron.Select(p => p.Methods[m].Gap).ToArray();
            double mean = gaps.DefaultIfEmpty(double.NaN).Average();
            double std = gaps.Length > 1 ? Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / (gaps.Length - 1)) : double.NaN;
            return new MethodScore(m, perNeuron.Select(p => p.Methods[m].Intra).DefaultIfEmpty(double.NaN).Average(),
                perNeuron.Select(p => p.Methods[m].Inter).DefaultIfEmpty(double.NaN).Average(), std / Math.Sqrt(gaps.Length), gaps.Length);
        }).ToArray();
        return new PureEvaluation(judge.Name, judge.Independent, summary, perNeuron);
    }

    private static double Euclidean(float[] u, float[] v)
    {
        double s = 0;
        for (int i = 0; i < u.Length; i++)
        {
            double t = (double)u[i] - v[i];
            s += t * t;
        }
        return Math.Sqrt(s);
    }

    private static ClusterDistances Shuffled(float[][] e, int[] labels, int seed)
    {
        var rng = new Random(seed);
        double intra = 0, inter = 0, overall = 0;
        for (int s = 0; s < Shuffles; s++)
        {
            int[] perm = (int[])labels.Clone();
            rng.Shuffle(perm);
            ClusterDistances d = Distances(e, perm);
            intra += d.Intra;
            inter += d.Inter;
            overall = d.Overall;
        }
        return new ClusterDistances(intra / Shuffles, inter / Shuffles, overall);
    }
}
