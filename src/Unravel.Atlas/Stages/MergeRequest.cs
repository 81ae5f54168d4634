// What `unravel merge` asks of the merge stage: shard atlases of one collection and the atlas to write.

namespace Unravel.Atlas.Stages;

/// <summary>Shard atlases (`collect --shard i/n`) combined into one atlas.</summary>
/// <param name="Shards">Shard atlas directories, any order.</param>
/// <param name="Out">Merged atlas directory to create.</param>
public sealed record MergeRequest(IReadOnlyList<string> Shards, string Out)
{
    /// <summary>Images: save PNG crops of every top-k reference (re-opens the model and data).</summary>
    public bool Crops { get; init; }

    /// <summary>Replace an existing atlas directory.</summary>
    public bool Force { get; init; }

    /// <summary>The command line recorded in the manifest.</summary>
    public string Command { get; init; } = AtlasProvenance.CurrentCommandLine();
}
