// The per-neuron record of PURE (Dreyer, Purelku et al. 2024, "PURE: Turning Polysemantic Neurons Into Pure Features
// by Identifying Relevant Circuits", CVPR Workshops, arXiv 2404.06453): what methods/pure/<layer>/neuron_<i>.json
// holds besides the provenance envelope.

using System.Text.Json.Nodes;

namespace Unravel.Atlas.Methods;

/// <summary>PURE's split of one neuron.</summary>
/// <param name="LowerLayer">Layer the circuits are over.</param>
/// <param name="K">Virtual neurons.</param>
/// <param name="References">Dataset indices of the references clustered (activation &gt; 0).</param>
/// <param name="Labels">Virtual neuron of each reference.</param>
/// <param name="Activations">The neuron's max activation on each reference.</param>
/// <param name="Circuits">Circuit of each reference [C_lower], or null when it would be too large for the file.</param>
/// <param name="VirtualNeurons">The virtual neurons.</param>
/// <param name="KSelection">Mean silhouette per tried k (automatic k only), keyed by k.</param>
/// <param name="Evaluation">The judge-embedding evaluation of this neuron, when it ran.</param>
public sealed record PureRecord(string LowerLayer, int K, long[] References, int[] Labels, float[] Activations, float[][]? Circuits,
    VirtualNeuronRecord[] VirtualNeurons, Dictionary<string, double>? KSelection, JsonObject? Evaluation);
