// How a collection pass runs (as opposed to what it keeps, CollectionOptions): batching, the input range (a limit and
// a shard), and checkpoints for resuming after the process is killed.

namespace Unravel.Interpret.Collection;

/// <summary>Batching, range and checkpointing of <see cref="Collector.Run(Unravel.Nn.RootModule, ICollectionDataset, IReadOnlyList{string}, CollectionOptions, CollectionRunOptions, IProgress{CollectionProgress}?, CancellationToken)"/>.</summary>
public sealed record CollectionRunOptions
{
    /// <summary>Inputs per forward pass.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Only the first inputs of the dataset; null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>Shard i of n: the contiguous inputs [⌊i·N/n⌋, ⌊(i+1)·N/n⌋) of the (limited) dataset, each bound rounded down
    /// to a multiple of <see cref="BatchSize"/> (see <see cref="Collector.ShardRange"/>); null for all.</summary>
    public (int Index, int Count)? Shard { get; init; }

    /// <summary>File for periodic checkpoints of the streaming state (written atomically); null for none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Minimum time between checkpoints; zero writes one after every batch.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Continue from <see cref="CheckpointPath"/> when it exists (it must belong to the same run).</summary>
    public bool Resume { get; init; }

    /// <summary>Identity of model and data supplied by the caller (e.g. their SHA-256s); part of the checkpoint fingerprint.</summary>
    public string Identity { get; init; } = "";
}
