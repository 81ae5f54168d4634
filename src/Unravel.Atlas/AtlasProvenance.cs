// Where an atlas came from: written into manifest.json next to what the collection itself knows.

namespace Unravel.Atlas;

/// <summary>Provenance of a collection run, supplied by the caller (the CLI).</summary>
/// <param name="ToolVersion">Unravel version.</param>
/// <param name="Architecture">Registry architecture name.</param>
/// <param name="ModelSource">Checkpoint path, or a note such as "random weights, seed 0".</param>
/// <param name="ModelSha256">SHA-256 of the weights file; null for random weights or folders without one file.</param>
/// <param name="DatasetSource">Data path(s) as given.</param>
/// <param name="DatasetDescription">From <see cref="ICollectionDataset.Description"/>.</param>
/// <param name="DatasetSha256">From <see cref="ICollectionDataset.ContentSha256"/>.</param>
/// <param name="Command">The command line, for the record.</param>
/// <param name="Spec">How to rebuild the dataset (kind, files, options), so later stages can re-read reference inputs.</param>
/// <param name="ModelConfig">The model's exact config (e.g. a GPT-2's layers, heads and width), so any size re-opens.</param>
public sealed record AtlasProvenance(string ToolVersion, string Architecture, string ModelSource, string? ModelSha256,
    string DatasetSource, string DatasetDescription, string DatasetSha256, string Command, DatasetSpec? Spec = null,
    System.Text.Json.Nodes.JsonObject? ModelConfig = null)
{
    /// <summary>This process's command line as recorded in a manifest ("unravel collect …").</summary>
    public static string CurrentCommandLine() => "unravel " + string.Join(" ", Environment.GetCommandLineArgs().Skip(1));
}
