// Linear explanations for individual neurons (Oikarinen & Weng 2024, "Linear explanations for individual neurons",
// ICML, §3): per neuron, (A) rank the concepts by an elastic net on standardised data, (B) greedily pick at most 10 of
// the top-ranked ones by validation correlation, with an unpenalised least-squares refit on raw values.
// Standardisation follows the authors: concepts by train mean and unbiased std, the activation by the mean and std over
// all rows (their small leak, kept for parity; it changes only the scale of the elastic net's target). Ranking sorts
// by signed weight, descending, with ties broken by concept index (stable), where PyTorch's order is unspecified.
// Memory: the concept matrix's train/val copies and its Gram matrix are shared; each neuron adds O(M + |train|).

using Unravel.Tensors;

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Fits linear explanations for many neurons, in parallel.</summary>
public static class LinearExplainer
{
    private const string Op = "explain";

    /// <summary>Explains <paramref name="neurons"/> (columns of <paramref name="activations"/> [rows, K]) with
    /// <paramref name="concepts"/> [rows, M] on <paramref name="split"/>.</summary>
    /// <param name="concepts">Concept presence per row.</param>
    /// <param name="activations">Summary activation per row and neuron [rows, K] (pooled for images, per token for text).</param>
    /// <param name="neurons">Neurons to explain; null = all K.</param>
    /// <param name="split">Train/val/test rows; only train and val are read.</param>
    /// <param name="options">Hyperparameters.</param>
    /// <param name="progress">Reports the number of neurons done.</param>
    /// <param name="cancellationToken">Cancels between neurons.</param>
    /// <exception cref="ArgumentException">Row counts differ, a neuron or split row is out of range, no concept survives
    /// the filter, or an option is out of range.</exception>
    public static LinearExplanationResult Run(ConceptMatrix concepts, Tensor activations, IReadOnlyList<int>? neurons, DataSplit split,
        LinearExplanationOptions options, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(concepts);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(options);
        if (activations.Shape.Length != 2 || activations.Shape[0] != concepts.Rows)
            throw new ArgumentException($"{Op}: activations [{string.Join(", ", activations.Shape.ToArray())}] do not match the concept matrix's {concepts.Rows} rows; expected [{concepts.Rows}, K].", nameof(activations));
        if (options.Width < 1 || options.MaxTerms < 1 || options.Tolerance < 0 || options.L1 < 0 || options.L2 < 0 || options.Parallelism < 1)
            throw new ArgumentException($"{Op}: options out of range ({options}).", nameof(options));
        int rows = concepts.Rows, k = activations.Shape[1];
        foreach (int r in split.Train.Concat(split.Val))
            if ((uint)r >= (uint)rows) throw new ArgumentException($"{Op}: split row {r} outside the {rows} rows; the split belongs to other data.", nameof(split));
        int[] ids = neurons?.ToArray() ?? Enumerable.Range(0, k).ToArray();
        foreach (int id in ids)
            if ((uint)id >= (uint)k) throw new ArgumentException($"{Op}: neuron {id} outside the {k} neurons.", nameof(neurons));

        ConceptMatrix p = options.Filter ? ConceptFilter.Apply(concepts) : concepts;
        if (p.Columns == 0)
            throw new ArgumentException($"{Op}: no concept of '{concepts.Provenance.Source}' passes the filter (top-5 mean ≥ 0.5, std ≥ 1e-5).", nameof(concepts));
        int m = p.Columns;
        ConceptMoments mom = ConceptMoments.Build(p.Values, m, split.Train, split.Val, options.Parallelism, cancellationToken);
        double[] standardGram = StandardGram(mom, out double[] mean, out double[] std);

        var results = new LinearExplanation[ids.Length];
        int done = 0;
        Parallel.For(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, t =>
        {
            results[t] = ExplainOne(p, mom, standardGram, mean, std, activations.Data, k, ids[t], options);
            progress?.Report(Interlocked.Increment(ref done));
        });
        return new LinearExplanationResult(p.Provenance, p.Names, split, options, results);
    }

    private static LinearExplanation ExplainOne(ConceptMatrix p, ConceptMoments mom, double[] standardGram, double[] mean, double[] std,
        ReadOnlySpan<float> act, int k, int neuron, LinearExplanationOptions o)
    {
        int rows = p.Rows, m = mom.M, n = mom.N;
        double all = 0, allSq = 0;
        for (int i = 0; i < rows; i++) all += act[i * k + neuron];
        double qMean = all / rows;
        for (int i = 0; i < rows; i++)
        {
            double d = act[i * k + neuron] - qMean;
            allSq += d * d;
        }
        double qStd = rows > 1 ? Math.Sqrt(allSq / (rows - 1)) : 0;
        var qTrain = new float[n];
        for (int i = 0; i < n; i++) qTrain[i] = act[mom.Train[i] * k + neuron];
        var qVal = new float[mom.Val.Length];
        for (int i = 0; i < qVal.Length; i++) qVal[i] = act[mom.Val[i] * k + neuron];
        if (!(qStd > 0)) return new LinearExplanation(neuron, [], qMean, 0);

        double[] xty = mom.Project(qTrain);
        double sumQ = 0;
        foreach (float v in qTrain) sumQ += v;

        // Xᵀy of the standardised problem: Σ_i (P_ij − μ_j)/σ_j · (q_i − μ_q)/σ_q over train.
        var sxty = new double[m];
        for (int j = 0; j < m; j++)
            sxty[j] = std[j] > 0 ? (xty[j] - mean[j] * sumQ - qMean * mom.Sums[j] + n * mean[j] * qMean) / (std[j] * qStd) : 0;
        double[] w = ElasticNet.SolveCentered(standardGram, sxty, m, n, o.L1, o.L2, o.CoordinateTolerance, 10_000);
        int[] rank = Enumerable.Range(0, m).ToArray();
        Array.Sort(rank, (a, b) => w[a] != w[b] ? w[b].CompareTo(w[a]) : a.CompareTo(b));

        (int[] cols, double[] weights, double bias, double valR) = GreedySearch.Run(mom, xty, sumQ, qVal, rank, o.Width, o.MaxTerms, o.Tolerance);
        var terms = cols.Select((c, i) => new ExplanationTerm(p.Names[c], c, weights[i]))
            .OrderByDescending(t => t.Weight).ThenBy(t => t.Column).ToArray();
        return new LinearExplanation(neuron, terms, bias, valR);
    }

    /// <summary>The Gram matrix of the train columns standardised by their train mean and unbiased std.</summary>
    private static double[] StandardGram(ConceptMoments mom, out double[] mean, out double[] std)
    {
        int m = mom.M, n = mom.N;
        mean = new double[m];
        std = new double[m];
        for (int j = 0; j < m; j++)
        {
            mean[j] = mom.Sums[j] / n;
            double var = (mom.Gram[j * m + j] - n * mean[j] * mean[j]) / Math.Max(1, n - 1);
            std[j] = var > 1e-24 ? Math.Sqrt(var) : 0;
        }
        var g = new double[m * m];
        for (int a = 0; a < m; a++)
            for (int b = 0; b < m; b++)
                g[a * m + b] = std[a] > 0 && std[b] > 0 ? (mom.Gram[a * m + b] - n * mean[a] * mean[b]) / (std[a] * std[b]) : 0;
        return g;
    }
}
