// A trained sparse autoencoder and its training curve (A. Foote 2024, arXiv 2411.08166, §4.2).

namespace Unravel.Interpret.Sae;

/// <summary>The SAE and per-step losses.</summary>
/// <param name="Model">The trained SAE.</param>
/// <param name="Options">How it was trained.</param>
/// <param name="Mse">[Steps] reconstruction MSE per step.</param>
/// <param name="NeuronEmbeddingLoss">[Steps] L_N per step (0 before it is switched on or when λ2 = 0 … still measured
/// from the second activation of each latent).</param>
public sealed record SaeResult(SparseAutoencoder Model, SaeOptions Options, float[] Mse, float[] NeuronEmbeddingLoss);
