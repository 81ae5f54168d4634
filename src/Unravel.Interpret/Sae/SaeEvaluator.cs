// Evaluates a sparse autoencoder as A. Foote 2024 does (arXiv 2411.08166, §4.2, Tables 2-3): reconstruction MSE, L1,
// L0, dead latents, and per latent the neuron-embedding metrics of its first activating inputs (h = the SAE input,
// w = the latent's encoder row), aggregated by the median (mean kept too).

using Unravel.Interpret.NeuronEmbeddings;
using Unravel.Tensors;

namespace Unravel.Interpret.Sae;

/// <summary>SAE evaluation.</summary>
public static class SaeEvaluator
{
    /// <summary>Evaluates <paramref name="sae"/> on the rows of <paramref name="data"/> [rows, D].</summary>
    /// <param name="sae">The SAE.</param>
    /// <param name="data">Row-major inputs.</param>
    /// <param name="rows">Number of inputs.</param>
    /// <param name="examplesPerLatent">The first activating inputs kept per latent for the embedding metrics (the paper: 100).</param>
    /// <param name="cancellationToken">Checked between batches and latents.</param>
    /// <exception cref="ArgumentException">The data does not have the SAE's width.</exception>
    public static SaeEvaluation Evaluate(SparseAutoencoder sae, float[] data, int rows, int examplesPerLatent = 100,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(data);
        int d = sae.Inputs, jn = sae.Latents;
        if (rows < 1 || data.Length != (long)rows * d)
            throw new ArgumentException($"sae: {data.Length} values do not form [{rows}, {d}].", nameof(data));
        double se = 0, l1 = 0, l0 = 0;
        var count = new long[jn];
        var firsts = new List<int>[jn];
        for (int j = 0; j < jn; j++) firsts[j] = [];
        const int batch = 512;
        for (int start = 0; start < rows; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int b = Math.Min(batch, rows - start);
            Tensor x = Tensor.FromArray(data[(start * d)..((start + b) * d)], b, d);
            Tensor z = sae.Encode(x);                                   // [b, J]
            float[] xHat = sae.Decode(z).ToArray();                     // [b, D]
            ReadOnlySpan<float> zs = z.Data;
            for (int i = 0; i < b * d; i++) se += Math.Pow(xHat[i] - data[start * d + i], 2);
            for (int i = 0; i < b; i++)
                for (int j = 0; j < jn; j++)
                {
                    float v = zs[i * jn + j];
                    if (!(v > 0)) continue;
                    l1 += v;
                    l0++;
                    count[j]++;
                    if (firsts[j].Count < examplesPerLatent) firsts[j].Add(start + i);
                }
        }
        float[] enc = sae.WEnc.Value.ToArray();
        var metrics = new List<PolysemanticityMetrics>();
        for (int j = 0; j < jn; j++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            List<int> ex = firsts[j];
            if (ex.Count < 2) continue;
            var e = new float[ex.Count * d];
            bool zero = false;
            for (int k = 0; k < ex.Count; k++)
            {
                bool any = false;
                for (int c = 0; c < d; c++) any |= (e[k * d + c] = data[ex[k] * d + c] * enc[j * d + c]) != 0;
                zero |= !any;
            }
            if (!zero) metrics.Add(NeuronClustering.Cluster(e, ex.Count, d, cancellationToken: cancellationToken).Metrics);
        }
        return new SaeEvaluation(se / ((double)rows * d), l1 / rows, l0 / ((double)rows * jn), count.Count(c => c == 0) / (double)jn,
            MetricAggregate.Of(metrics.Select(m => m.MaxDist)), MetricAggregate.Of(metrics.Select(m => m.MeanDist)),
            MetricAggregate.Of(count.Where(c => c > 0).Select(c => (double)c)));
    }
}
