// What the circuit pass returns: per (neuron, input) the L1-normalised circuit and the neuron's activation, and per
// input the pooled activation vector of the analysed layer (the activation-clustering baseline).

namespace Unravel.Interpret.Pure;

/// <summary>Circuits of many (neuron, input) pairs of one layer, computed image-major.</summary>
/// <param name="Layer">Analysed layer (hook name).</param>
/// <param name="LowerLayer">Layer the circuits are over (hook name).</param>
/// <param name="LowerChannels">C of the lower layer: the length of every circuit.</param>
/// <param name="Circuits">Per pair: r_i / (Σ|r| + 1e-10), r_i = Σ_p A^{l−1}_{i,p} · ∂(½Σ_p relu(A^l_{j,p})²)/∂A^{l−1}_{i,p}.</param>
/// <param name="Activations">Per pair: max over positions of A^l_j (the ranking statistic of the atlas).</param>
/// <param name="Pooled">Per input: mean over positions of relu(A^l), all channels [C].</param>
/// <param name="Inputs">Distinct inputs forwarded.</param>
/// <param name="SubNetwork">True when only the blocks between the two layers were run for the backward passes.</param>
/// <param name="Elapsed">Wall time of the pass.</param>
public sealed record CircuitResult(string Layer, string LowerLayer, int LowerChannels,
    IReadOnlyDictionary<CircuitRequest, float[]> Circuits, IReadOnlyDictionary<CircuitRequest, float> Activations,
    IReadOnlyDictionary<long, float[]> Pooled, int Inputs, bool SubNetwork, TimeSpan Elapsed);
