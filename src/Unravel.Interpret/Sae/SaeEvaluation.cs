// The quantities by which A. Foote 2024 ("Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166, Tables 2
// and 3) compares a standard SAE with one trained with the neuron-embedding loss.

using Unravel.Interpret.NeuronEmbeddings;

namespace Unravel.Interpret.Sae;

/// <summary>Reconstruction, sparsity and the latents' neuron-embedding geometry on evaluation data.</summary>
/// <param name="Mse">Mean squared reconstruction error over all elements.</param>
/// <param name="L1">Mean over inputs of Σ_j z_j.</param>
/// <param name="L0Share">Mean share of latents active per input.</param>
/// <param name="DeadShare">Share of latents never active on the data.</param>
/// <param name="MaxDist">Over latents with ≥ 2 activating inputs: MaxDist of their first ≤ N activating inputs' embeddings
/// x ⊙ W_enc[j].</param>
/// <param name="MeanDist">The same for MeanDist.</param>
/// <param name="Size">Over live latents: the number of inputs activating each (the paper's "size").</param>
public sealed record SaeEvaluation(double Mse, double L1, double L0Share, double DeadShare, MetricAggregate MaxDist,
    MetricAggregate MeanDist, MetricAggregate Size);
