// PURE end to end for a set of neurons of one layer (Dreyer, Purelku et al., CVPR-W 2024, arXiv 2404.06453; spec
// docs/methods/pure.md): circuits of every reference and candidate in one image-major pass, k-means
// of each neuron's reference circuits into virtual neurons, then every candidate routed to its nearest centroid and
// ranked per virtual neuron by the neuron's activation. Inputs on which the neuron does not fire (max activation ≤ 0)
// have an all-zero circuit and are left out (spec §1.5).

using Unravel.Interpret.Clustering;
using Unravel.Interpret.Collection;
using Unravel.Nn;

namespace Unravel.Interpret.Pure;

/// <summary>Splits neurons into virtual neurons.</summary>
public static class PureAnalysis
{
    /// <summary>Runs PURE on <paramref name="neurons"/>.</summary>
    /// <exception cref="ArgumentException">Invalid options, or as <see cref="Circuits.Compute"/>.</exception>
    public static PureResult Run(RootModule model, ICollectionDataset data, IReadOnlyList<PureNeuronRequest> neurons, PureOptions options,
        IProgress<CollectionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(neurons);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.AutoK && options.K < 1) throw new ArgumentException($"pure: k = {options.K}; at least 1 is needed.", nameof(options));
        if (options.TopInputs < 1) throw new ArgumentException($"pure: TopInputs = {options.TopInputs}; at least 1 is needed.", nameof(options));
        IEnumerable<CircuitRequest> pairs = neurons.SelectMany(n => n.References.Concat(n.Candidates).Select(i => new CircuitRequest(n.Neuron, i)));
        CircuitResult circuits = Circuits.Compute(model, data, options.Layer, options.LowerLayer, pairs, options.Batch, progress, cancellationToken);
        var results = new List<PureNeuronResult>(neurons.Count);
        foreach (PureNeuronRequest n in neurons)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(Split(n, circuits, options));
        }
        return new PureResult(options, results, circuits);
    }

    private static PureNeuronResult Split(PureNeuronRequest request, CircuitResult pass, PureOptions options)
    {
        int j = request.Neuron;
        long[] refs = request.References.Distinct().Where(i => pass.Activations[new CircuitRequest(j, i)] > 0).ToArray();
        float[][] circuits = refs.Select(i => pass.Circuits[new CircuitRequest(j, i)]).ToArray();
        float[] acts = refs.Select(i => pass.Activations[new CircuitRequest(j, i)]).ToArray();
        float[][] pooled = refs.Select(i => pass.Pooled[i]).ToArray();
        if (refs.Length == 0) return new PureNeuronResult(j, 0, [], [], [], [], [], [], null);

        float[,] x = ToMatrix(circuits);
        KMeansResult fit;
        IReadOnlyDictionary<int, double>? selection = null;
        if (options.AutoK) (fit, selection) = VirtualNeurons.FitAuto(x, options.MinK, options.MaxK, options.Restarts, options.Seed);
        else fit = VirtualNeurons.Fit(x, options.K, options.Restarts, options.Seed);
        int k = fit.Centroids.GetLength(0);

        var routed = new List<(long Input, float Score)>[k];
        for (int c = 0; c < k; c++) routed[c] = [];
        foreach (long input in request.References.Concat(request.Candidates).Distinct())
        {
            var key = new CircuitRequest(j, input);
            float a = pass.Activations[key];
            if (a > 0) routed[VirtualNeurons.Route(pass.Circuits[key], fit.Centroids)].Add((input, a));
        }
        var vns = new VirtualNeuron[k];
        for (int c = 0; c < k; c++)
        {
            long[] members = Enumerable.Range(0, refs.Length).Where(r => fit.Labels[r] == c)
                .OrderByDescending(r => acts[r]).ThenBy(r => r).Select(r => refs[r]).ToArray();
            (long Input, float Score)[] top = routed[c].OrderByDescending(t => t.Score).ThenBy(t => t.Input).Take(options.TopInputs).ToArray();
            vns[c] = new VirtualNeuron(c, members.Length, (double)members.Length / refs.Length, Row(fit.Centroids, c), members,
                top.Select(t => t.Input).ToArray(), top.Select(t => t.Score).ToArray());
        }
        return new PureNeuronResult(j, k, refs, fit.Labels, circuits, acts, pooled, vns, selection);
    }

    internal static float[,] ToMatrix(IReadOnlyList<float[]> rows)
    {
        int n = rows.Count, d = n == 0 ? 0 : rows[0].Length;
        var m = new float[n, d];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++) m[i, c] = rows[i][c];
        return m;
    }

    private static float[] Row(float[,] m, int r)
    {
        var row = new float[m.GetLength(1)];
        for (int c = 0; c < row.Length; c++) row[c] = m[r, c];
        return row;
    }
}
