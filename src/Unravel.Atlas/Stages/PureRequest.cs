// What `unravel pure`, the explorer and the demo ask of the PURE stage.

namespace Unravel.Atlas.Stages;

/// <summary>PURE virtual neurons for some neurons of one layer.</summary>
/// <param name="Session">The open atlas (of an image model).</param>
/// <param name="Layer">Layer name or alias whose neurons to split.</param>
/// <param name="Neurons">Neuron indices, or null for every neuron of the layer.</param>
public sealed record PureRequest(AtlasSession Session, string Layer, IReadOnlyList<int>? Neurons = null)
{
    /// <summary>Lower layer the circuits are over, or null for the previous stage or block of <see cref="Layer"/>.</summary>
    public string? Lower { get; init; }

    /// <summary>Virtual neurons per neuron (the paper uses 2); ignored when <see cref="AutoK"/>.</summary>
    public int K { get; init; } = 2;

    /// <summary>Extension: the k of 2 … 5 with the best mean silhouette, per neuron.</summary>
    public bool AutoK { get; init; }

    /// <summary>Top-activating references clustered per neuron.</summary>
    public int References { get; init; } = 100;

    /// <summary>Also route the neuron's per-class top inputs.</summary>
    public bool Wide { get; init; }

    /// <summary>Inputs per forward of the circuit pass.</summary>
    public int Batch { get; init; } = 128;

    /// <summary>k-means++ restarts.</summary>
    public int Restarts { get; init; } = 10;

    /// <summary>Seed of k-means and the random baseline, or null for the atlas's seed.</summary>
    public int? Seed { get; init; }

    /// <summary>Compare PURE, activation clustering and random labels in a judge embedding.</summary>
    public bool Evaluate { get; init; }

    /// <summary>Judge: "pixels", a MODEL reference, or null for the judge the model card names (else the model itself).</summary>
    public string? Judge { get; init; }

    /// <summary>Architecture of a judge checkpoint file.</summary>
    public string? JudgeArch { get; init; }

    /// <summary>Judge hook whose pooled activation is the embedding.</summary>
    public string JudgeLayer { get; init; } = "avgpool";

    /// <summary>Time the naive one-pass-per-pair baseline on this many pairs (0 = not).</summary>
    public int CompareNaive { get; init; }
}
