// A sparse autoencoder (Bricken et al. 2023, "Towards Monosemanticity"; Cunningham et al. 2023, arXiv 2309.08600) as
// used by A. Foote 2024 ("Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166, §3.3.2, §4.2):
//   z = ReLU((x − b_dec) · W_encᵀ + b_enc),   x̂ = z · W_decᵀ + b_dec,
// with unit-norm decoder columns (renormalised after every step by the trainer). Letters: B batch, D input width,
// J latents.

using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Sae;

/// <summary>A ReLU sparse autoencoder with weights "W_enc" [J, D], "b_enc" [J], "W_dec" [D, J], "b_dec" [D].</summary>
/// <remarks>Hooks: "hook_latents" (z, [B, J]).</remarks>
public sealed class SparseAutoencoder : RootModule
{
    /// <summary>Binds or initialises the weights: encoder and decoder N(0, 1/√D) with the decoder's columns scaled to
    /// unit norm and the encoder tied to the decoder's transpose at the start, zero biases.</summary>
    /// <exception cref="ArgumentException">A size is below 1.</exception>
    public SparseAutoencoder(WeightSource ws, int inputs, int latents) : base(ws)
    {
        if (inputs < 1 || latents < 1) throw new ArgumentException($"sae: sizes {inputs} → {latents} must be at least 1.", nameof(inputs));
        Inputs = inputs;
        Latents = latents;
        WDec = Weight(ws, "W_dec", [inputs, latents], Init.Normal(1f / MathF.Sqrt(inputs)));
        WEnc = Weight(ws, "W_enc", [latents, inputs], Init.Zeros);
        BEnc = Weight(ws, "b_enc", [latents], Init.Zeros);
        BDec = Weight(ws, "b_dec", [inputs], Init.Zeros);
        NormalizeDecoder();
        Span<float> enc = WEnc.Value.Data;
        ReadOnlySpan<float> dec = WDec.Value.Data;
        if (!enc.ContainsAnyExcept(0f))
            for (int j = 0; j < latents; j++)
                for (int d = 0; d < inputs; d++) enc[j * inputs + d] = dec[d * latents + j];
    }

    /// <summary>D.</summary>
    public int Inputs { get; }

    /// <summary>J.</summary>
    public int Latents { get; }

    /// <summary>[J, D]: row j is latent j's encoder weights (its w in a neuron embedding).</summary>
    public Parameter WEnc { get; }

    /// <summary>[J].</summary>
    public Parameter BEnc { get; }

    /// <summary>[D, J]: column j is latent j's decoder direction, unit norm.</summary>
    public Parameter WDec { get; }

    /// <summary>[D].</summary>
    public Parameter BDec { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_latents"];

    /// <summary>z = ReLU((x − b_dec) · W_encᵀ + b_enc), [B, D] → [B, J].</summary>
    public Tensor Encode(Tensor x) => Hook("hook_latents", Ops.Relu(Ops.Linear(x - BDec.Value, WEnc.Value, BEnc.Value)));

    /// <summary>x̂ = z · W_decᵀ + b_dec, [B, J] → [B, D].</summary>
    public Tensor Decode(Tensor z) => Ops.Linear(z, WDec.Value, BDec.Value);

    /// <summary>Scales every decoder column to unit norm (zero columns stay zero).</summary>
    public void NormalizeDecoder()
    {
        Span<float> w = WDec.Value.Data;
        for (int j = 0; j < Latents; j++)
        {
            double norm = 0;
            for (int d = 0; d < Inputs; d++) norm += (double)w[d * Latents + j] * w[d * Latents + j];
            if (norm == 0) continue;
            float inv = (float)(1 / Math.Sqrt(norm));
            for (int d = 0; d < Inputs; d++) w[d * Latents + j] *= inv;
        }
    }
}
