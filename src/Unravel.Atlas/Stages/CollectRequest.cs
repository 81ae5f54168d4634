// What `unravel collect` and `unravel demo` ask of the collect stage: an opened model and dataset (with the spec that
// re-opens the dataset later), the layers, the atlas directory, and the collection and checkpoint settings.

using Unravel.Interpret.Collection;
using Unravel.Models.Vision;

namespace Unravel.Atlas.Stages;

/// <summary>One collection pass (or one shard of it) written as an atlas.</summary>
/// <param name="Model">The model, with where it came from.</param>
/// <param name="Dataset">The dataset, opened from <paramref name="Spec"/> for <paramref name="Model"/>.</param>
/// <param name="Spec">How the dataset was built (recorded in the manifest).</param>
/// <param name="Layers">Hook names or globs.</param>
/// <param name="Out">Atlas directory to create.</param>
public sealed record CollectRequest(LoadedModel Model, ICollectionDataset Dataset, DatasetSpec Spec, IReadOnlyList<string> Layers, string Out)
{
    /// <summary>Reference inputs kept per neuron and ranking (and per class).</summary>
    public int K { get; init; } = 100;

    /// <summary>Inputs per forward pass.</summary>
    public int Batch { get; init; } = 64;

    /// <summary>Seed of the random samples.</summary>
    public int Seed { get; init; }

    /// <summary>Use only the first N inputs, or all.</summary>
    public int? Limit { get; init; }

    /// <summary>Keep the pooled [inputs, C] vectors (and the quantile samples).</summary>
    public bool KeepPooled { get; init; } = true;

    /// <summary>Transformer token layers: how tokens are pooled, or null (every token is a position).</summary>
    public ViTPool? Pool { get; init; }

    /// <summary>Collect shard Index of Count (contiguous inputs), or the whole dataset.</summary>
    public (int Index, int Count)? Shard { get; init; }

    /// <summary>Continue from the checkpoint next to <see cref="Out"/> when there is one.</summary>
    public bool Resume { get; init; }

    /// <summary>Seconds between checkpoints (0 = after every batch; negative = none).</summary>
    public double CheckpointEvery { get; init; } = 30;

    /// <summary>Also rank inputs by CRP relevance, or null.</summary>
    public RelevanceOptions? Relevance { get; init; }

    /// <summary>Images: save a PNG crop of every top-k reference.</summary>
    public bool Crops { get; init; }

    /// <summary>Replace an existing atlas directory.</summary>
    public bool Force { get; init; }

    /// <summary>The command line recorded in the manifest.</summary>
    public string Command { get; init; } = AtlasProvenance.CurrentCommandLine();
}
