// The merge stage: shard atlases of one collection (same model, same data) combined into the atlas a single pass over
// all their inputs gives (see AtlasMerger for what is exact), written with the first shard's provenance and the list of
// shards it was merged from. Called by `unravel merge`.

using System.Text.Json.Nodes;
using Unravel.Interpret.Collection;

namespace Unravel.Atlas.Stages;

/// <summary>Merges shard atlases and writes the result.</summary>
public sealed class MergeStage : IStage<MergeRequest, MergeStageResult>
{
    /// <inheritdoc/>
    /// <exception cref="AnalysisException">The shards come from different models or data, or one is damaged.</exception>
    public MergeStageResult Run(MergeRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // In shard order (then path), so that the shards given in any order write the same atlas.
        List<AtlasReader> atlases = [.. request.Shards.Select(AtlasReader.Open).OrderBy(a => a.Manifest["shard"]?["first"]?.GetValue<int>() ?? 0)
            .ThenBy(a => a.Manifest["shard"]?["end"]?.GetValue<int>() ?? 0).ThenBy(a => a.Root, StringComparer.Ordinal)];
        AtlasReader first = atlases[0];
        foreach (AtlasReader a in atlases.Skip(1))
        {
            if (a.ModelSha256 != first.ModelSha256 || a.Architecture != first.Architecture)
                throw new AnalysisException($"{a.Root}: collected with another model than {first.Root}.", "merge only shards of one collection");
            if (a.DatasetSha256 != first.DatasetSha256)
                throw new AnalysisException($"{a.Root}: collected on other data than {first.Root}.", "merge only shards of one collection");
        }
        CollectionResult result;
        try
        {
            result = AtlasMerger.Merge(atlases);
        }
        catch (InvalidDataException e)
        {
            throw new AnalysisException(e.Message, "re-collect that shard");
        }
        CollectionOptions options = result.State!.Layers[0].Options;
        JsonObject m = first.Manifest;
        var provenance = new AtlasProvenance(AtlasFormat.ToolVersion, first.Architecture, first.ModelSource, first.ModelSha256,
            m["dataset"]?["source"]?.GetValue<string>() ?? "", m["dataset"]?["description"]?.GetValue<string>() ?? "", first.DatasetSha256 ?? "",
            request.Command, first.Dataset, first.ModelConfig);
        ReferenceSource? references = null;
        if (first.Dataset is not null)
        {
            AtlasSession session = AtlasSession.Open(first.Root);
            references = new ReferenceSource(session.Model.Model, session.Dataset, request.Crops);
        }
        var extra = new JsonObject { ["merged_from"] = new JsonArray(atlases.Select(a => (JsonNode)a.Root).ToArray()) };
        AtlasWriter.Write(request.Out, result with { State = null }, options, provenance, request.Force, references, extra);
        return new MergeStageResult(request, result);
    }
}
