// What `unravel embed`, the explorer and the demo ask of the neuron-embeddings stage.

namespace Unravel.Atlas.Stages;

/// <summary>Neuron embeddings and feature clusters for some neurons of one transformer MLP layer.</summary>
/// <param name="Session">The open atlas (a language model over token windows).</param>
/// <param name="Layer">The MLP activation layer (e.g. blocks.2.mlp.hook_post or h.2.mlp.hook_post), or an alias of it.</param>
/// <param name="Neurons">Neuron indices, or null for every neuron of the layer.</param>
public sealed record EmbedRequest(AtlasSession Session, string Layer, IReadOnlyList<int>? Neurons = null)
{
    /// <summary>The variants by their command-line names.</summary>
    public static IReadOnlyList<string> Variants { get; } = ["tl", "hf", "resid"];

    /// <summary>Which h and w: "tl" (TransformerLens folding, the default), "hf" (raw weights) or "resid" (residual stream).</summary>
    public string Variant { get; init; } = "tl";

    /// <summary>Example rule: "first" (the paper's first N over ratio × maximum) or "top-k".</summary>
    public string Selection { get; init; } = "first";

    /// <summary>N, examples per neuron (the paper: 100).</summary>
    public int Examples { get; init; } = 100;

    /// <summary>The threshold ratio of the first-over-threshold rule (the paper: 0.75).</summary>
    public double Ratio { get; init; } = 0.75;

    /// <summary>Cosine distance at which clusters stop merging (the paper: 0.5).</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Token windows stored per cluster for the explorer.</summary>
    public int Shown { get; init; } = 8;

    /// <summary>Compute token importance for each cluster's central example.</summary>
    public bool Importance { get; init; } = true;

    /// <summary>Similar features kept per cluster.</summary>
    public int Similar { get; init; } = 5;

    /// <summary>When set, keep (store, show, explain) only this many of the clustered neurons: those with the most clusters,
    /// then the largest MaxDist. The layer summary still covers every clustered neuron.</summary>
    public int? MostSplit { get; init; }

    /// <summary>Windows per forward pass.</summary>
    public int BatchSize { get; init; } = 32;
}
