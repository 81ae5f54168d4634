// The provenance envelope every method record carries: which method and tool version made it, from which weights and
// data, with which seed and options, and when. It is written and read by the same source-generated type as the record.

using System.Text.Json.Nodes;

namespace Unravel.Atlas.Methods;

/// <summary>Where a method result came from.</summary>
/// <param name="Method">Registry name of the method ("concepts").</param>
/// <param name="ToolVersion">Unravel version that wrote it.</param>
/// <param name="ModelSha256">SHA-256 of the model's weights (the atlas's), or null for random weights.</param>
/// <param name="DatasetSha256">Content SHA-256 of the atlas's dataset.</param>
/// <param name="Seed">Seed of every random choice the method made.</param>
/// <param name="Options">Every option of the run, by its command-line name (snake_case).</param>
/// <param name="CreatedUtc">When it was written.</param>
public sealed record Provenance(string Method, string ToolVersion, string? ModelSha256, string? DatasetSha256, int Seed, JsonObject Options,
    DateTime CreatedUtc)
{
    /// <summary>The envelope of a run of <paramref name="method"/> on <paramref name="atlas"/>, stamped now.</summary>
    public static Provenance Of(string method, AtlasReader atlas, int seed, JsonObject options)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        DateTime now = DateTime.UtcNow;
        return new Provenance(method, AtlasFormat.ToolVersion, atlas.ModelSha256, atlas.DatasetSha256, seed, options,
            new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc));
    }
}
