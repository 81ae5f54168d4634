// Options of sparse-autoencoder training with an optional neuron-embedding loss (A. Foote 2024, arXiv 2411.08166,
// §3.3.2, §4.2: λ values not reported; the loss is switched on after 200 steps, momentum 0.9).

namespace Unravel.Interpret.Sae;

/// <summary>How an SAE is trained.</summary>
public sealed record SaeOptions
{
    /// <summary>J, the number of latents (the paper: 8 × the input width).</summary>
    public int Latents { get; init; } = 512;

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Inputs per step (sampled with replacement by a seeded generator).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>λ1, weight of the L1 penalty Σ_j z_j (mean over the batch).</summary>
    public float L1 { get; init; } = 1e-3f;

    /// <summary>λ2, weight of the neuron-embedding loss; 0 trains a standard SAE.</summary>
    public float NeuronEmbedding { get; init; }

    /// <summary>The step from which the neuron-embedding loss counts (the paper: 200); running means are kept from the start.</summary>
    public int NeuronEmbeddingStart { get; init; } = 200;

    /// <summary>Momentum of the running means (the paper: 0.9).</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>Seed of the initialisation and the batch sampling.</summary>
    public int Seed { get; init; }
}
