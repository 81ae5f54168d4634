// A trained sparse autoencoder and its training curve (A. Foote 2024, arXiv 2411.08166, §4.2).

namespace Unravel.Interpret.Sae;

/// <summary>The SAE and per-step losses.</summary>
/// <param name="Model">The trained SAE.</param>
/// <param name="Options">How it was trained.</param>
/// <param name="Mse">[Steps] reconstruction MSE per step.</param>
/// <param name="NeuronEmbeddingLoss">[Steps] L_N per step, measured at every step (also before it is switched on and
/// when λ2 = 0, so that runs can be compared); it enters the gradient only when switched on.</param>
public sealed record SaeResult(SparseAutoencoder Model, SaeOptions Options, float[] Mse, float[] NeuronEmbeddingLoss);
