// Feature visualisation (Olah, Mordvintsev, Schubert 2017, "Feature Visualization", Distill) of the directions a method
// stored for a neuron: each concept vector of concept vectors (O'Mahony et al. 2023, "Disentangling Neuron
// Representations with Concept Vectors") as the mean positional cosine with the layer's activations, and each PURE
// virtual neuron (Dreyer et al. 2024, arXiv 2404.06453) as its circuit centroid, a direction over the lower layer's
// channels. The PNGs and their index are written beside the method's record (atomically, index last), where the
// method's report section shows them.

using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Interpret.FeatureVisualization;
using Unravel.IO.Images;

namespace Unravel.Atlas.Stages;

/// <summary>Visualises a neuron's stored directions.</summary>
public sealed class VisualizeStage : IStage<VisualizeRequest, VisualizeStageResult>
{
    /// <inheritdoc/>
    public VisualizeStageResult Run(VisualizeRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Steps < 1) throw new UnravelException($"visualize: steps must be at least 1 (got {request.Steps}).");
        AtlasSession session = request.Session;
        AtlasReader atlas = session.Atlas;
        AtlasLayer layer = session.Layer(request.Layer);
        int neuron = session.Neurons(layer, [request.Neuron])[0];
        (string Name, FeatureObjective Objective)[] jobs = request.Method switch
        {
            "concepts" => ConceptsMethod.Instance.Read(atlas, layer.Name, neuron) is { } c
                ? [.. c.Result.Concepts.Select(k => ($"concept {k.Id}", FeatureObjective.AlongDirection(layer.Name, k.Vector)))]
                : throw Missing("concept vectors", "concepts", layer.Name, neuron),
            "pure" => PureMethod.Instance.Read(atlas, layer.Name, neuron) is { } p
                ? [.. p.Result.VirtualNeurons.Select(v => ($"virtual neuron {v.Id}", FeatureObjective.AlongDirection(p.Result.LowerLayer, v.Centroid)))]
                : throw Missing("PURE virtual neurons", "pure", layer.Name, neuron),
            _ => throw new UnravelException($"visualize: method '{request.Method}' has no stored directions to visualise.", "use --method concepts or --method pure"),
        };
        if (jobs.Length == 0) throw new AnalysisException($"visualize: neuron {neuron} of '{layer.Name}' has no stored {request.Method} direction.");
        int seed = request.Seed ?? atlas.Seed;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var images = new List<(FeatureImage, Image)>(jobs.Length);
        foreach ((string name, FeatureObjective objective) in jobs)
        {
            images.Add(FeatureImages.Render(session.Model.Model, name, objective, FeatureImageStore.FileName(neuron, images.Count), seed, request.Steps, cancellationToken));
            progress?.Report(StageProgress.After("visualize", images.Count, jobs.Length, clock.Elapsed));
        }
        var options = new JsonObject { ["layer"] = layer.Name, ["neuron"] = neuron, ["method"] = request.Method, ["seed"] = seed, ["steps"] = request.Steps,
            ["objective"] = "mean positional cosine with the stored direction" };
        FeatureImageStore.Write(atlas, request.Method, layer.Name, neuron, Provenance.Of(request.Method, atlas, seed, options), images);
        return new VisualizeStageResult(request, FeatureImageStore.IndexPath(atlas, request.Method, layer.Name, neuron), [.. images.Select(i => i.Item1)]);
    }

    private static AnalysisException Missing(string what, string command, string layer, int neuron) =>
        new($"visualize: neuron {neuron} of '{layer}' has no stored {what}.", $"run `unravel {command} ATLAS --layer {layer} --neurons {neuron}` first");
}
