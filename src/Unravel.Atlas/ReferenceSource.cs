// What AtlasWriter needs to render reference visuals (crops, per-token activations) next to the statistics.

using Unravel.Nn;

namespace Unravel.Atlas;

/// <summary>The model and dataset a collection ran on, for <see cref="ReferenceVisuals"/>.</summary>
/// <param name="Model">The model (for the receptive field and for re-running text references).</param>
/// <param name="Dataset">The dataset.</param>
/// <param name="Crops">Images: write a PNG crop of every top_max reference (layers/&lt;folder&gt;/crops/).</param>
/// <param name="BatchSize">Text: windows per forward pass when computing per-token activations.</param>
public sealed record ReferenceSource(RootModule Model, ICollectionDataset Dataset, bool Crops = false, int BatchSize = 64)
{
    /// <summary>Text: per-token activations are written only when K·C·T is at most this (floats).</summary>
    public long MaxTokenActivations { get; init; } = 64L << 20;
}
