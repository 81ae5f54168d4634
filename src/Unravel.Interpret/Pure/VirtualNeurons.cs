// Clustering a neuron's circuits into virtual neurons and routing new inputs to them.
// Clustering follows the authors' evaluation code (sklearn KMeans, k-means++, n_init 10, Euclidean, no scaling;
// docs/methods/pure.md). Routing is our addition: the authors' code has no inference for new
// inputs; following the repo's intro figure ("if circuit 1 is active → 2a, else → 2b") an input goes to the virtual
// neuron whose centroid is nearest to its circuit in the metric k-means used (hard routing, spec §1.5).

using Unravel.Interpret.Clustering;

namespace Unravel.Interpret.Pure;

/// <summary>k-means on circuits, automatic k by silhouette, and nearest-centroid routing.</summary>
public static class VirtualNeurons
{
    /// <summary>k-means with <paramref name="k"/> clusters on the rows of <paramref name="circuits"/>.</summary>
    /// <remarks>k is lowered to the number of distinct rows when there are fewer (k-means cannot place more centres).</remarks>
    /// <exception cref="ArgumentException">No rows, k &lt; 1, or non-finite values.</exception>
    public static KMeansResult Fit(float[,] circuits, int k, int restarts, int seed)
    {
        ArgumentNullException.ThrowIfNull(circuits);
        if (k < 1) throw new ArgumentException($"pure: k = {k}; at least 1 is needed.", nameof(k));
        int kk = Math.Min(k, DistinctRows(circuits));
        return KMeans.Fit(circuits, new KMeansOptions { K = kk, Restarts = restarts, Seed = seed });
    }

    /// <summary>Tries k = <paramref name="minK"/> … <paramref name="maxK"/> and keeps the fit with the largest mean
    /// silhouette (extension; the paper fixes k).</summary>
    /// <returns>The chosen fit and the silhouette of every k that could be tried (k ≤ distinct rows − 1).</returns>
    /// <exception cref="ArgumentException">minK &lt; 2 or maxK &lt; minK.</exception>
    public static (KMeansResult Fit, IReadOnlyDictionary<int, double> Scores) FitAuto(float[,] circuits, int minK, int maxK, int restarts, int seed)
    {
        ArgumentNullException.ThrowIfNull(circuits);
        if (minK < 2 || maxK < minK) throw new ArgumentException($"pure: automatic k needs 2 ≤ minK ≤ maxK (got {minK} … {maxK}).", nameof(minK));
        var scores = new SortedDictionary<int, double>();
        KMeansResult? best = null;
        double bestScore = double.NegativeInfinity;
        int distinct = DistinctRows(circuits);
        for (int k = minK; k <= Math.Min(maxK, distinct - 1); k++)
        {
            KMeansResult fit = KMeans.Fit(circuits, new KMeansOptions { K = k, Restarts = restarts, Seed = seed });
            if (fit.Labels.Distinct().Count() < 2) continue;
            double s = Silhouette.Score(circuits, fit.Labels);
            scores[k] = s;
            if (s > bestScore)
            {
                bestScore = s;
                best = fit;
            }
        }
        return (best ?? Fit(circuits, minK, restarts, seed), scores);
    }

    /// <summary>The virtual neuron of a circuit: the index of the nearest centroid (squared Euclidean; ties → lowest).</summary>
    /// <exception cref="ArgumentException">The circuit length differs from the centroids' width.</exception>
    public static int Route(ReadOnlySpan<float> circuit, float[,] centroids)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        int k = centroids.GetLength(0), d = centroids.GetLength(1);
        if (circuit.Length != d)
            throw new ArgumentException($"pure: circuit of length {circuit.Length} cannot be routed to centroids [{k}, {d}].", nameof(circuit));
        int best = 0;
        double bestDist = double.PositiveInfinity;
        for (int c = 0; c < k; c++)
        {
            double dist = 0;
            for (int j = 0; j < d; j++)
            {
                double t = (double)circuit[j] - centroids[c, j];
                dist += t * t;
            }
            if (dist < bestDist)
            {
                bestDist = dist;
                best = c;
            }
        }
        return best;
    }

    private static int DistinctRows(float[,] data)
    {
        int n = data.GetLength(0), d = data.GetLength(1);
        var seen = new HashSet<string>();
        for (int i = 0; i < n; i++)
        {
            var row = new float[d];
            for (int j = 0; j < d; j++) row[j] = data[i, j];
            seen.Add(Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan())));
        }
        return seen.Count;
    }
}
