// What `unravel visualize ATLAS --method concepts|pure` asks of the visualise stage: feature visualisations (Olah,
// Mordvintsev, Schubert 2017, "Feature Visualization", Distill) of a neuron's stored directions.

namespace Unravel.Atlas.Stages;

/// <summary>Visualise every stored direction of one neuron for one method.</summary>
/// <param name="Session">The open atlas.</param>
/// <param name="Layer">The neuron's layer (recorded name or alias).</param>
/// <param name="Neuron">The neuron.</param>
/// <param name="Method">"concepts" (one image per concept vector) or "pure" (one per virtual neuron).</param>
public sealed record VisualizeRequest(AtlasSession Session, string Layer, int Neuron, string Method)
{
    /// <summary>Seed of the initial images and the random warps; null: the atlas's seed.</summary>
    public int? Seed { get; init; }

    /// <summary>Adam steps per image.</summary>
    public int Steps { get; init; } = FeatureImages.DefaultSteps;
}
