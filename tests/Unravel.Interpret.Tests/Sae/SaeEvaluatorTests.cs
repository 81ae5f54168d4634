// SAE evaluation (Foote 2024 Tables 2-3 quantities) against direct loops over a small SAE's encodings.

using Unravel.Interpret.Sae;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Tests.Sae;

public sealed class SaeEvaluatorTests
{
    [Fact]
    public void Evaluate_MatchesDirectLoops()
    {
        const int d = 6, j = 10, rows = 700;
        var sae = new SparseAutoencoder(WeightSource.Initialize(3), d, j);
        Span<float> bEnc = sae.BEnc.Value.Data;
        for (int i = 0; i < j; i++) bEnc[i] = i == 0 ? -100f : -0.3f;   // latent 0 can never fire: dead
        var rng = new Random(5);
        float[] data = Enumerable.Range(0, rows * d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        SaeEvaluation e = SaeEvaluator.Evaluate(sae, data, rows, examplesPerLatent: 50);

        float[] w = sae.WEnc.Value.ToArray(), dec = sae.WDec.Value.ToArray(), b = sae.BEnc.Value.ToArray();
        double se = 0, l1 = 0, active = 0;
        var count = new int[j];
        for (int r = 0; r < rows; r++)
        {
            var z = new double[j];
            for (int k = 0; k < j; k++)
            {
                double pre = b[k];
                for (int c = 0; c < d; c++) pre += data[r * d + c] * w[k * d + c];   // b_dec is 0 at init
                z[k] = Math.Max(0, pre);
                if (z[k] > 0) { l1 += z[k]; active++; count[k]++; }
            }
            for (int c = 0; c < d; c++)
            {
                double xHat = 0;
                for (int k = 0; k < j; k++) xHat += z[k] * dec[c * j + k];
                se += (xHat - data[r * d + c]) * (xHat - data[r * d + c]);
            }
        }
        Assert.Equal(se / (rows * d), e.Mse, 1e-5);
        Assert.Equal(l1 / rows, e.L1, 1e-4);
        Assert.Equal(active / (rows * j), e.L0Share, 1e-9);
        Assert.Equal(count.Count(c => c == 0) / (double)j, e.DeadShare, 1e-12);
        Assert.True(e.DeadShare >= 0.1);
        Assert.Equal(count.Count(c => c >= 2), e.MaxDist.Count);
        Assert.InRange(e.MaxDist.Median, e.MeanDist.Median, 2.0);
    }
}
