// The neuron-embedding loss for SAE training (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings",
// arXiv 2411.08166, §3.3.2, eq. 4-6): for each batch item b and each active latent j (z_bj > 0),
//   term = 1 − cos(h̄_j ⊙ w_j, h_b ⊙ w_j),   L_N = Σ_b Σ_j term   (a sum, as in the paper),
// where w_j is latent j's encoder row and h̄_j a running mean of the inputs that activated j (the first activation
// initialises it; after use h̄_j ← m·h̄_j + (1 − m)·h_b, m = 0.9). h̄ is a constant for the gradient, so
// with a = h̄_j, h = h_b, N = Σ a h w², A² = Σ a² w², H² = Σ h² w², cos = N / (A·H):
//   ∂cos/∂w_i = 2 a_i h_i w_i / (A H) − cos · (a_i² w_i / A² + h_i² w_i / H²).

namespace Unravel.Interpret.Sae;

/// <summary>Running means per latent and the loss with its gradient with respect to the encoder weights.</summary>
public sealed class NeuronEmbeddingLoss
{
    private readonly float[] _mean;
    private readonly bool[] _seen;

    /// <summary>Empty running means for <paramref name="latents"/> latents of width <paramref name="inputs"/>.</summary>
    public NeuronEmbeddingLoss(int latents, int inputs, float momentum = 0.9f)
    {
        if (latents < 1 || inputs < 1 || !(momentum >= 0 && momentum < 1))
            throw new ArgumentException($"sae: invalid neuron-embedding loss sizes {latents}×{inputs} or momentum {momentum}.", nameof(momentum));
        Latents = latents;
        Inputs = inputs;
        Momentum = momentum;
        _mean = new float[latents * inputs];
        _seen = new bool[latents];
    }

    /// <summary>J.</summary>
    public int Latents { get; }

    /// <summary>D.</summary>
    public int Inputs { get; }

    /// <summary>m.</summary>
    public float Momentum { get; }

    /// <summary>The running mean h̄_j (zeros until latent j first fires).</summary>
    public ReadOnlySpan<float> MeanOf(int latent) => _mean.AsSpan(latent * Inputs, Inputs);

    /// <summary>L_N of one batch and ∂L_N/∂W_enc added into <paramref name="gradient"/>, then the running means updated.</summary>
    /// <param name="inputs">[B, D] the SAE inputs h_b.</param>
    /// <param name="latents">[B, J] the activations z.</param>
    /// <param name="encoder">[J, D] W_enc.</param>
    /// <param name="gradient">[J, D] accumulated (scaled by <paramref name="weight"/>).</param>
    /// <param name="weight">λ2; 0 only updates the means.</param>
    /// <param name="batch">B.</param>
    /// <returns>L_N (unscaled).</returns>
    public double Accumulate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> latents, ReadOnlySpan<float> encoder, Span<float> gradient,
        float weight, int batch)
    {
        int d = Inputs, jn = Latents;
        double loss = 0;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> h = inputs.Slice(b * d, d);
            for (int j = 0; j < jn; j++)
            {
                if (!(latents[b * jn + j] > 0)) continue;
                Span<float> a = _mean.AsSpan(j * d, d);
                if (!_seen[j])
                {
                    h.CopyTo(a);
                    _seen[j] = true;
                    continue;   // no mean before the first activation: nothing to compare with
                }
                ReadOnlySpan<float> w = encoder.Slice(j * d, d);
                double n = 0, a2 = 0, h2 = 0;
                for (int i = 0; i < d; i++)
                {
                    double w2 = (double)w[i] * w[i];
                    n += a[i] * h[i] * w2;
                    a2 += (double)a[i] * a[i] * w2;
                    h2 += (double)h[i] * h[i] * w2;
                }
                if (a2 > 0 && h2 > 0)
                {
                    double an = Math.Sqrt(a2), hn = Math.Sqrt(h2), cos = n / (an * hn);
                    loss += 1 - cos;
                    if (weight != 0)
                    {
                        Span<float> g = gradient.Slice(j * d, d);
                        for (int i = 0; i < d; i++)
                        {
                            double dcos = 2 * a[i] * h[i] * w[i] / (an * hn) - cos * (a[i] * a[i] * w[i] / a2 + h[i] * h[i] * w[i] / h2);
                            g[i] -= (float)(weight * dcos);
                        }
                    }
                }
                for (int i = 0; i < d; i++) a[i] = Momentum * a[i] + (1 - Momentum) * h[i];
            }
        }
        return loss;
    }
}
