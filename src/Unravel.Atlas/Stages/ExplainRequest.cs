// What `unravel explain`, the explorer and the demo ask of the explain stage.

using Unravel.Interpret.LinearExplanations;

namespace Unravel.Atlas.Stages;

/// <summary>Linear explanations for some neurons of one layer.</summary>
/// <param name="Session">The open atlas.</param>
/// <param name="Layer">Layer name or alias.</param>
/// <param name="Neurons">Neuron indices, or null for every neuron of the layer.</param>
public sealed record ExplainRequest(AtlasSession Session, string Layer, IReadOnlyList<int>? Neurons = null)
{
    /// <summary>Concept set: "labels", "model:NAME" or "tokens".</summary>
    public string Concepts { get; init; } = "labels";

    /// <summary>Seed of the 70/10/20 split (default: the atlas's seed).</summary>
    public int? Seed { get; init; }

    /// <summary>Hyperparameters of the fit (the authors' defaults).</summary>
    public LinearExplanationOptions Options { get; init; } = new();

    /// <summary>Inputs per forward pass when activations or model concepts are computed.</summary>
    public int Batch { get; init; } = 64;
}
