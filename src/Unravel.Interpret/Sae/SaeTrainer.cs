// Trains a sparse autoencoder with the engine's tape and Adam (A. Foote 2024, "Tackling Polysemanticity with Neuron
// Embeddings", arXiv 2411.08166, §3.3.2 eq. 6): L = MSE(x, x̂) + λ1 · mean_b Σ_j z_bj + λ2 · L_N, the decoder columns
// renormalised to unit norm after every step. MSE and L1 go through the tape; the neuron-embedding term's gradient
// with respect to W_enc is added in closed form (NeuronEmbeddingLoss). Letters: N inputs, B batch, D width, J latents.

using Unravel.Nn;
using Unravel.Nn.Optim;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Sae;

/// <summary>SAE training.</summary>
public static class SaeTrainer
{
    /// <summary>Trains an SAE on the rows of <paramref name="data"/> [N, D].</summary>
    /// <exception cref="ArgumentException">Bad shapes or options.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static SaeResult Train(float[] data, int rows, int width, SaeOptions options, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (rows < 1 || width < 1 || data.Length != (long)rows * width)
            throw new ArgumentException($"sae: {data.Length} values do not form [{rows}, {width}].", nameof(data));
        if (options.Steps < 0 || options.BatchSize < 1 || options.Latents < 1 || !(options.LearningRate > 0) || options.L1 < 0 || options.NeuronEmbedding < 0)
            throw new ArgumentException($"sae: invalid options {options}.", nameof(options));
        var sae = new SparseAutoencoder(WeightSource.Initialize(options.Seed), width, options.Latents);
        var adam = new AdamW(sae.TrainableParameters(), new AdamWOptions { WeightDecay = 0 });
        var ne = new NeuronEmbeddingLoss(options.Latents, width, options.Momentum);
        var rng = new Random(options.Seed + 1);
        int b = options.BatchSize;
        var mse = new float[options.Steps];
        var neLoss = new float[options.Steps];
        var batch = new float[b * width];
        var encoderGradient = new float[options.Latents * width];
        for (int step = 0; step < options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (int i = 0; i < b; i++) data.AsSpan(rng.Next(rows) * width, width).CopyTo(batch.AsSpan(i * width));
            Tensor x = Tensor.FromArray((float[])batch.Clone(), b, width);               // [B, D]
            GradStore grads;
            Tensor z;
            using (var tape = new Tape())
            {
                foreach (Parameter p in sae.TrainableParameters()) tape.Watch(p.Value);
                z = sae.Encode(x);                                                       // [B, J]
                Tensor diff = sae.Decode(z) - x;                                         // [B, D]
                Tensor reconstruction = Ops.Mean(diff * diff);
                Tensor loss = reconstruction + Ops.Sum(z) * Tensor.Scalar(options.L1 / b);
                grads = tape.Backward(loss);
                mse[step] = reconstruction.ToScalar();
            }
            float weight = step >= options.NeuronEmbeddingStart ? options.NeuronEmbedding : 0f;
            Array.Clear(encoderGradient);
            neLoss[step] = (float)ne.Accumulate(batch, z.Data, sae.WEnc.Value.Data, encoderGradient, weight, b);
            if (weight != 0) grads.Accumulate(sae.WEnc.Value, encoderGradient);
            adam.Step(grads, options.LearningRate);
            sae.NormalizeDecoder();
            progress?.Report(step + 1);
        }
        sae.Eval();
        return new SaeResult(sae, options, mse, neLoss);
    }
}
