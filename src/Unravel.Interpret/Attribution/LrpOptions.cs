// Options of one LRP / CRP attribution.

namespace Unravel.Interpret.Attribution;

/// <summary>What to explain and how.</summary>
public sealed record LrpOptions
{
    /// <summary>Rules per layer; EpsilonPlusFlat by default (PURE, CRP tutorials).</summary>
    public Composite Composite { get; init; } = Composites.EpsilonPlusFlat();

    /// <summary>Function-preserving rewrites; batch-norm folding and residual sums by default.</summary>
    public IReadOnlyList<ICanonizer> Canonizers { get; init; } = Attribution.Canonizers.ResNet;

    /// <summary>Class per row and seed; the predicted class seeded with its logit by default. Ignored with <see cref="StartLayer"/>.</summary>
    public AttributionTarget Target { get; init; } = AttributionTarget.Predicted;

    /// <summary>CRP channel masks at named layers.</summary>
    public IReadOnlyList<ChannelCondition> Conditions { get; init; } = [];

    /// <summary>CRP: start the walk at this hook point, seeded with ReLU(activation) (then masked by its conditions),
    /// instead of at the output logits.</summary>
    public string? StartLayer { get; init; }

    /// <summary>CRP exclude-parallel: walk output → condition 1 → condition 2 → … → input step by step, so relevance reaches
    /// the input only through the conditioned layers (not through skip connections around them).</summary>
    public bool ExcludeParallel { get; init; }

    /// <summary>Stop the walk below this hook point (its producer and everything recorded before it are skipped): the
    /// relevance at this layer (record it) is the result and the input relevance stays zero. Saves the lower half of the
    /// backward when only a layer's relevance is needed (CRP concept relevance, PURE circuits).</summary>
    public string? StopLayer { get; init; }

    /// <summary>Hook points whose activation and relevance are returned in the result.</summary>
    public IReadOnlyList<string> RecordLayers { get; init; } = [];
}
