// What `unravel split`, and `unravel demo` ask of the channel split stage (Hesse et al. 2025, arXiv 2504.12939).

using Unravel.Interpret.ChannelSplit;

namespace Unravel.Atlas.Stages;

/// <summary>Find γ-polysemantic channels of a convolution, and optionally split one pair and export the edited model.</summary>
/// <param name="Session">The open atlas (its model and labelled image dataset).</param>
/// <param name="Layer">Path of a Conv2d, e.g. "layer3.0.conv2" (need not be a collected layer).</param>
public sealed record SplitRequest(AtlasSession Session, string Layer)
{
    /// <summary>τ, p, γ of the search.</summary>
    public ChannelSplitFindOptions Options { get; init; } = new();

    /// <summary>Channel to split, or null to only find.</summary>
    public int? Channel { get; init; }

    /// <summary>Classes (t1, t2) of the pair to split; t1's concept keeps the channel.</summary>
    public (int Class1, int Class2)? Classes { get; init; }

    /// <summary>Folder for model.safetensors, model.pth and split-card.json, or null not to export.</summary>
    public string? Out { get; init; }

    /// <summary>IDX images (and <see cref="TrainLabels"/>) to find and choose ρ on; the whole atlas dataset is then held
    /// out. Null: a seeded half of the atlas dataset finds, the other half evaluates.</summary>
    public string? TrainImages { get; init; }

    /// <summary>IDX labels of <see cref="TrainImages"/>.</summary>
    public string? TrainLabels { get; init; }

    /// <summary>Seed of the half/half partition; null: the atlas's seed.</summary>
    public int? Seed { get; init; }

    /// <summary>Use only the first N images of the atlas dataset (before the partition); null: all.</summary>
    public int? Limit { get; init; }

    /// <summary>Adam steps of the feature visualisations of the original channel and of both split channels, stored beside
    /// the split record (seeded with the split's seed); 0 computes none.</summary>
    public int FeatureSteps { get; init; }

    /// <summary>Images per forward/backward batch.</summary>
    public int Batch { get; init; } = 100;
}
