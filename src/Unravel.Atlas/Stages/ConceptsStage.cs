// The concepts stage: concept vectors (O'Mahony et al. 2023, §3) for a layer's neurons from the atlas's pooled
// vectors and top-k tables, stored through ConceptsMethod (one record per neuron, the neurons-table columns, the
// concepts table). Called by `unravel concepts`, the explorer's on-demand analysis and `unravel demo`.

using System.Diagnostics;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Interpret.Concepts;
using Unravel.IO;

namespace Unravel.Atlas.Stages;

/// <summary>Runs concept vectors and stores the results.</summary>
public sealed class ConceptsStage : IStage<ConceptsRequest, ConceptsStageResult>
{
    /// <summary>Pooled vectors clustered: mean over positions, as the authors.</summary>
    public const string Pooling = "mean";

    /// <inheritdoc/>
    public ConceptsStageResult Run(ConceptsRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Ranking is not ("max" or "mean")) throw new UnravelException($"concepts: ranking must be max or mean (got '{request.Ranking}').");
        if (request.TopK < 2) throw new UnravelException($"concepts: top-k must be at least 2 (got {request.TopK}).");
        AtlasSession session = request.Session;
        using IDisposable writing = session.Lock("concepts", cancellationToken);
        AtlasReader atlas = session.Atlas;
        AtlasLayer layer = session.Layer(request.Layer);
        int[] neurons = session.Neurons(layer, request.Neurons);
        (Tensor pooled, long[] rowInputs) = atlas.Pooled(layer.Name, Pooling);
        var rowOf = new Dictionary<long, int>(rowInputs.Length);
        for (int i = 0; i < rowInputs.Length; i++) rowOf[rowInputs[i]] = i;
        int[]? labels = RowLabels(atlas, rowInputs);

        var clock = Stopwatch.StartNew();
        var done = new List<ConceptsNeuron>(neurons.Length);
        var records = new List<(int, ConceptsRecord)>(neurons.Length);
        foreach (int n in neurons)
        {
            TopInputs top = atlas.TopInputs(layer.Name, n, request.Ranking);
            int[] rows = top.Inputs.Take(request.TopK).Select(i => rowOf.TryGetValue(i, out int row) ? row
                : throw new AtlasFormatException(atlas.Root, $"input {i} of neuron {n}'s top-k in '{layer.Name}' has no pooled vector.", "re-collect the atlas")).ToArray();
            ConceptResult result = ConceptVectors.Analyse(pooled, rows, request.Options, labels, cancellationToken);
            ConceptsRecord record = ConceptsMethod.Record(result, top, rowInputs, request.Ranking, Pooling);
            records.Add((n, record));
            done.Add(new ConceptsNeuron(n, result, record, ConceptsMethod.Instance.PathOf(atlas, layer.Name, n)));
            progress?.Report(StageProgress.After("concepts", done.Count, neurons.Length, clock.Elapsed));
        }
        TimeSpan elapsed = clock.Elapsed;
        ConceptOptions o = request.Options;
        var options = new JsonObject
        {
            ["ranking"] = request.Ranking, ["pooling"] = Pooling, ["top_k"] = request.TopK, ["cut"] = o.Cut.ToString(), ["outlier"] = o.Outlier.ToString(),
            ["min_size"] = o.MinSize, ["max_iterations"] = o.MaxIterations, ["score_top"] = o.ScoreTop, ["kmeans_init"] = "ward-means",
        };
        ConceptsMethod.Instance.Write(atlas, layer.Name, Provenance.Of(ConceptsMethod.Instance.Name, atlas, atlas.Seed, options), records);
        return new ConceptsStageResult(layer, request, done, labels, elapsed);
    }

    /// <summary>Class label of every pooled row, when the atlas's dataset has an IDX labels file that still exists.</summary>
    private static int[]? RowLabels(AtlasReader atlas, long[] rowInputs)
    {
        if (atlas.Dataset is not { Kind: "idx", Labels: { } path } || !File.Exists(path) || rowInputs.Length == 0) return null;
        int[] labels = Idx.ReadLabels(path, (int)Math.Min(rowInputs.Max() + 1, int.MaxValue));
        return rowInputs.All(i => i < labels.Length) ? rowInputs.Select(i => labels[i]).ToArray() : null;
    }
}
