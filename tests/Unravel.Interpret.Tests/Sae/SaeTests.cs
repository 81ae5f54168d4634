// Sparse autoencoder (Foote 2024 §3.3.2): the neuron-embedding loss gradient against central differences of the loss,
// the running mean's momentum update, and training on planted sparse features (the decoder recovers every planted
// direction, with and without the neuron-embedding loss).

using Unravel.Interpret.Sae;

namespace Unravel.Interpret.Tests.Sae;

public sealed class SaeTests
{
    [Fact]
    public void NeuronEmbeddingLoss_Gradient_MatchesCentralDifferences()
    {
        const int j = 3, d = 5, b = 4;
        var rng = new Random(4);
        float[] Rand(int n, double lo = -1) => Enumerable.Range(0, n).Select(_ => (float)(lo + rng.NextDouble() * (1 - lo))).ToArray();
        float[] first = Rand(j * d), inputs = Rand(b * d), encoder = Rand(j * d);
        float[] latents = [1, 0, 2, 1, 0, 3, 1, 1, 0, 2, 0, 1];   // [B, J]: some latents inactive per item
        NeuronEmbeddingLoss Primed()
        {
            var loss = new NeuronEmbeddingLoss(j, d);
            loss.Accumulate(first, Enumerable.Repeat(1f, j * j).ToArray().AsSpan(0, j * j), encoder, new float[j * d], 0f, j);
            return loss;
        }
        var gradient = new float[j * d];
        double l0 = Primed().Accumulate(inputs, latents, encoder, gradient, 1f, b);
        Assert.True(l0 > 0);
        const double h = 1e-3;
        for (int i = 0; i < j * d; i++)
        {
            float[] plus = (float[])encoder.Clone(), minus = (float[])encoder.Clone();
            plus[i] += (float)h;
            minus[i] -= (float)h;
            double numeric = (Primed().Accumulate(inputs, latents, plus, new float[j * d], 0f, b)
                - Primed().Accumulate(inputs, latents, minus, new float[j * d], 0f, b)) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-2 * Math.Max(1, Math.Abs(numeric)), $"w[{i}]: analytic {gradient[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void NeuronEmbeddingLoss_RunningMean_FirstActivationThenMomentum()
    {
        var loss = new NeuronEmbeddingLoss(1, 2, momentum: 0.9f);
        float[] w = [1, 1];
        loss.Accumulate([2, 4], [1], w, new float[2], 0f, 1);
        Assert.Equal([2f, 4f], loss.MeanOf(0).ToArray());
        loss.Accumulate([12, 14], [0.5f], w, new float[2], 0f, 1);
        Assert.Equal(3f, loss.MeanOf(0)[0], 1e-5f);      // 0.9·2 + 0.1·12
        Assert.Equal(5f, loss.MeanOf(0)[1], 1e-5f);      // 0.9·4 + 0.1·14
        loss.Accumulate([100, 100], [0f], w, new float[2], 0f, 1);   // inactive: unchanged
        Assert.Equal(3f, loss.MeanOf(0)[0], 1e-5f);
    }

    private const int D = 12, K = 6, N = 3000;

    /// <summary>K unit directions; each input is 1-2 of them with positive magnitudes in [0.5, 1.5).</summary>
    private static (float[] Data, double[][] Features) Planted()
    {
        var rng = new Random(11);
        var features = new double[K][];
        for (int f = 0; f < K; f++)
        {
            double[] v = Enumerable.Range(0, D).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            double norm = Math.Sqrt(v.Sum(x => x * x));
            features[f] = v.Select(x => x / norm).ToArray();
        }
        var data = new float[N * D];
        for (int i = 0; i < N; i++)
            for (int a = 0; a < 1 + rng.Next(2); a++)
            {
                int f = rng.Next(K);
                double s = 0.5 + rng.NextDouble();
                for (int c = 0; c < D; c++) data[i * D + c] += (float)(s * features[f][c]);
            }
        return (data, features);
    }

    private static SaeResult Train(float[] data, float neuronEmbedding) => SaeTrainer.Train(data, N, D, new SaeOptions
    {
        Latents = 24, Steps = 1500, BatchSize = 64, LearningRate = 3e-3f, L1 = 3e-3f, NeuronEmbedding = neuronEmbedding, Seed = 1,
    });

    private static double BestCosine(SaeResult r, double[] feature)
    {
        ReadOnlySpan<float> dec = r.Model.WDec.Value.Data;
        double best = 0;
        for (int j = 0; j < r.Model.Latents; j++)
        {
            double cos = 0;
            for (int c = 0; c < D; c++) cos += feature[c] * dec[c * r.Model.Latents + j];
            best = Math.Max(best, cos);
        }
        return best;
    }

    [Fact]
    public void Train_OnPlantedSparseFeatures_RecoversEveryDirection()
    {
        (float[] data, double[][] features) = Planted();
        SaeResult r = Train(data, 0f);
        double variance = data.Select(v => (double)v * v).Average();
        Assert.True(r.Mse[^50..].Average() < 0.05 * variance, $"final MSE {r.Mse[^50..].Average():F4} vs mean square {variance:F4}");
        for (int f = 0; f < K; f++) Assert.True(BestCosine(r, features[f]) > 0.9, $"planted feature {f}: best decoder cosine {BestCosine(r, features[f]):F3}");
        ReadOnlySpan<float> dec = r.Model.WDec.Value.Data;
        for (int j = 0; j < r.Model.Latents; j++)
        {
            double norm = 0;
            for (int c = 0; c < D; c++) norm += (double)dec[c * r.Model.Latents + j] * dec[c * r.Model.Latents + j];
            Assert.Equal(1.0, norm, 1e-5);
        }
    }

    [Fact]
    public void Train_WithNeuronEmbeddingLoss_LowersItAndStillReconstructs()
    {
        (float[] data, double[][] features) = Planted();
        SaeResult plain = Train(data, 0f), ne = Train(data, 1e-4f);
        // Before step 200 the two runs are the same run (the loss is off; the running means do not touch the weights).
        Assert.Equal(plain.Mse[..200], ne.Mse[..200]);
        double plainNe = plain.NeuronEmbeddingLoss[^200..].Average(), withNe = ne.NeuronEmbeddingLoss[^200..].Average();
        Assert.True(withNe < 0.8 * plainNe, $"L_N over the last 200 steps: {withNe:F3} with the loss, {plainNe:F3} without");
        double variance = data.Select(v => (double)v * v).Average();
        Assert.True(ne.Mse[^50..].Average() < 0.1 * variance, $"final MSE {ne.Mse[^50..].Average():F4} vs mean square {variance:F4}");
        for (int f = 0; f < K; f++) Assert.True(BestCosine(ne, features[f]) > 0.8, $"planted feature {f}: best decoder cosine {BestCosine(ne, features[f]):F3}");
    }
}
