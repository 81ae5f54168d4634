// The collect stage: one streaming pass over a dataset that records, per neuron of the given layers, its top-k reference
// inputs and statistics (Collector), optionally a CRP relevance pass over the same inputs (Achtibat et al. 2023, §4.2;
// RelevanceRanking), written as an atlas (AtlasWriter) with its provenance. A run checkpoints next to the atlas
// directory and resumes from there. Called by `unravel collect` and `unravel demo`.

using System.Diagnostics;
using System.Text.Json.Nodes;
using Unravel.Interpret.Collection;

namespace Unravel.Atlas.Stages;

/// <summary>Collects and writes an atlas.</summary>
public sealed class CollectStage : IStage<CollectRequest, CollectStageResult>
{
    /// <summary>Where a run's checkpoint lives: next to the atlas directory.</summary>
    public static string CheckpointPath(string atlas) => Path.GetFullPath(atlas.TrimEnd('/', '\\')) + ".checkpoint";

    /// <summary>Progress stage name of the relevance pass.</summary>
    public static string RelevanceStageName(RelevanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return $"relevance pass ({options.Composite}, target {(options.Target == RelevanceTarget.Label ? "label" : "predicted")})";
    }

    /// <inheritdoc/>
    /// <exception cref="AnalysisException">The checkpoint is damaged, or LRP cannot reach a layer of the relevance pass.</exception>
    public CollectStageResult Run(CollectRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        LoadedModel loaded = request.Model;
        ICollectionDataset dataset = request.Dataset;
        var options = new CollectionOptions
        {
            TopK = request.K, ClassTopK = request.K, Seed = request.Seed, KeepPooled = request.KeepPooled, Quantiles = request.KeepPooled ? 11 : 0,
            TokenPool = request.Pool,
        };
        string checkpoint = CheckpointPath(request.Out);
        var run = new CollectionRunOptions
        {
            BatchSize = request.Batch, Limit = request.Limit, Shard = request.Shard, Resume = request.Resume,
            CheckpointPath = request.CheckpointEvery >= 0 ? checkpoint : null, CheckpointInterval = TimeSpan.FromSeconds(Math.Max(0, request.CheckpointEvery)),
            Identity = $"{loaded.Architecture}:{loaded.Sha256}|{dataset.ContentSha256}",
        };
        CollectionResult result;
        try
        {
            result = Collector.Run(loaded.Model, dataset, [.. request.Layers], options, run, Report("collect", progress), cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new AnalysisException($"checkpoint refused: {e.Message}", $"the checkpoint is damaged; delete {checkpoint} and run again without --resume");
        }
        if (request.Relevance is { } relevance)
            result = result with { Relevance = RelevancePass(loaded, dataset, result, relevance, progress, cancellationToken) };

        var provenance = new AtlasProvenance(AtlasFormat.ToolVersion, loaded.Architecture, loaded.Source, loaded.Sha256, request.Spec.Path,
            dataset.Description, dataset.ContentSha256, request.Command, request.Spec, loaded.Config);
        JsonObject? extra = request.Shard is { } sh ? new JsonObject
        {
            ["shard"] = new JsonObject { ["index"] = sh.Index, ["count"] = sh.Count, ["first"] = result.FirstInput, ["end"] = result.FirstInput + result.Inputs },
        } : null;
        var writeWatch = Stopwatch.StartNew();
        AtlasWriter.Write(request.Out, request.Shard is null ? result with { State = null } : result, options, provenance, request.Force,
            new ReferenceSource(loaded.Model, dataset, request.Crops, request.Batch), extra);
        if (File.Exists(checkpoint)) File.Delete(checkpoint);
        return new CollectStageResult(request, result, writeWatch.Elapsed);
    }

    /// <summary>Runs the relevance pass over the inputs <paramref name="result"/> collected, for its layers.</summary>
    private static RelevanceTables RelevancePass(LoadedModel loaded, ICollectionDataset dataset, CollectionResult result, RelevanceOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellationToken)
    {
        try
        {
            return RelevanceRanking.Run(loaded.Model, dataset, [.. result.Layers.Select(l => l.Name)], options,
                result.FirstInput, result.FirstInput + result.Inputs, Report(RelevanceStageName(options), progress), cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new AnalysisException(e.Message, "relevance ranking needs layers LRP can reach (see `unravel inspect MODEL`)");
        }
    }

    private static CollectionProgressAdapter? Report(string stage, IProgress<StageProgress>? progress) =>
        progress is null ? null : new CollectionProgressAdapter(stage, progress);

    /// <summary>Forwards the collector's progress as stage progress, synchronously (no captured context).</summary>
    private sealed class CollectionProgressAdapter(string stage, IProgress<StageProgress> inner) : IProgress<CollectionProgress>
    {
        public void Report(CollectionProgress value) => inner.Report(new StageProgress(stage, value.Done, value.Total, value.ItemsPerSecond, value.Eta));
    }
}
