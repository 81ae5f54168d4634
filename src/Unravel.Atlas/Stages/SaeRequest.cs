// What `unravel sae` asks of the SAE stage.

namespace Unravel.Atlas.Stages;

/// <summary>Train a sparse autoencoder on one transformer MLP layer's input over the atlas's token windows.</summary>
/// <param name="Session">The open atlas (a language model over token windows).</param>
/// <param name="Layer">Any hook of the block's MLP (its activation, e.g. h.2.mlp.hook_post, or its input), or an alias.</param>
public sealed record SaeRequest(AtlasSession Session, string Layer)
{
    /// <summary>J, the number of latents, or null for 8 × the input width (the paper's ratio).</summary>
    public int? Latents { get; init; }

    /// <summary>Optimizer steps, or null for one pass over the training rows (rows / 64).</summary>
    public int? Steps { get; init; }

    /// <summary>λ1, the L1 weight.</summary>
    public float L1 { get; init; } = 1e-2f;

    /// <summary>Add the paper's neuron-embedding loss (momentum 0.9, switched on after 200 steps).</summary>
    public bool NeuronEmbeddingLoss { get; init; }

    /// <summary>λ2, the neuron-embedding loss weight when it is on (not given in the paper).</summary>
    public float NeuronEmbeddingWeight { get; init; } = 1e-4f;

    /// <summary>Evaluation windows on which the language-model loss is measured with and without the SAE spliced in.</summary>
    public int LossWindows { get; init; } = 64;

    /// <summary>Top windows kept per latent in the latents atlas.</summary>
    public int TopK { get; init; } = 20;

    /// <summary>Output folder, or null for &lt;atlas&gt;/sae/&lt;latent layer&gt;-standard|ne.</summary>
    public string? Out { get; init; }

    /// <summary>Seed of the initialisation and batch sampling, or null for the atlas's.</summary>
    public int? Seed { get; init; }

    /// <summary>Windows per forward pass.</summary>
    public int Batch { get; init; } = 32;
}
