// Token importance of one example (A. Foote 2024, arXiv 2411.08166, §4.1.1).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>The neuron's activation at the key token and how much it drops when each earlier token is replaced.</summary>
/// <param name="Activation">The activation at the key token with the window unchanged.</param>
/// <param name="Importance">[T] activation − activation with token t replaced, for the examined tokens; 0 elsewhere
/// (tokens after the key cannot matter in a causal model). Not normalised (the viewer divides by the example's maximum).</param>
public sealed record TokenImportanceResult(float Activation, float[] Importance);
