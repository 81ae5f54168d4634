// PURE's result for one neuron.

namespace Unravel.Interpret.Pure;

/// <summary>A neuron split into virtual neurons.</summary>
/// <param name="Neuron">Channel index.</param>
/// <param name="K">Virtual neurons (0 when no reference activates the neuron; fewer than asked when there are too few
/// distinct circuits).</param>
/// <param name="References">References used (activation &gt; 0), in the order given.</param>
/// <param name="Labels">Virtual neuron of each reference.</param>
/// <param name="Circuits">Circuit of each reference [C_lower].</param>
/// <param name="Activations">The neuron's max activation on each reference.</param>
/// <param name="Pooled">Mean of relu(A^l) over positions, all channels, for each reference (activation baseline).</param>
/// <param name="VirtualNeurons">One per cluster.</param>
/// <param name="KSelection">Mean silhouette per tried k when k was chosen automatically; null otherwise.</param>
public sealed record PureNeuronResult(int Neuron, int K, long[] References, int[] Labels, float[][] Circuits, float[] Activations,
    float[][] Pooled, IReadOnlyList<VirtualNeuron> VirtualNeurons, IReadOnlyDictionary<int, double>? KSelection);
