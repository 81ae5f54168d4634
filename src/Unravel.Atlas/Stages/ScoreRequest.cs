// What `unravel score`, the explorer and the demo ask of the score stage.

namespace Unravel.Atlas.Stages;

/// <summary>(Re)score every stored explanation of some neurons of one layer.</summary>
/// <param name="Session">The open atlas.</param>
/// <param name="Layer">Layer name or alias.</param>
/// <param name="Neurons">Neuron indices, or null for every neuron with a stored explanation.</param>
public sealed record ScoreRequest(AtlasSession Session, string Layer, IReadOnlyList<int>? Neurons = null)
{
    /// <summary>Seed of the split (default: the atlas's seed, the explain stage's default).</summary>
    public int? Seed { get; init; }

    /// <summary>PURE: train inputs (the first of the seeded train split) whose circuits fit each virtual neuron's value.</summary>
    public int PureFitRows { get; init; } = 1000;

    /// <summary>Inputs per forward pass when activations are computed.</summary>
    public int Batch { get; init; } = 64;
}
