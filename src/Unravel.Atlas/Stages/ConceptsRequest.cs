// What `unravel concepts`, the explorer and the demo ask of the concepts stage.

using Unravel.Interpret.Concepts;

namespace Unravel.Atlas.Stages;

/// <summary>Concept vectors for some neurons of one layer.</summary>
/// <param name="Session">The open atlas.</param>
/// <param name="Layer">Layer name or alias (e.g. a TransformerLens name).</param>
/// <param name="Neurons">Neuron indices, or null for every neuron of the layer.</param>
public sealed record ConceptsRequest(AtlasSession Session, string Layer, IReadOnlyList<int>? Neurons = null)
{
    /// <summary>Thresholds and sizes.</summary>
    public ConceptOptions Options { get; init; } = new();

    /// <summary>Top-input table: "mean" (global average pooling, as the authors) or "max" over positions.</summary>
    public string Ranking { get; init; } = "mean";

    /// <summary>Top inputs clustered per neuron (at most the atlas's k).</summary>
    public int TopK { get; init; } = 100;
}
