// The PURE stage (Dreyer, Purelku et al. 2024, arXiv 2404.06453): splits a layer's neurons into virtual neurons by
// clustering the circuits of their top-activating references, routes every recorded candidate input to a virtual
// neuron, optionally evaluates the split in a judge embedding and times the naive baseline, and stores the records
// through PureMethod. Called by `unravel pure`, the explorer's on-demand analysis and `unravel demo`.
//
// Default lower layer: the hook that fires last before the layer among the hooks at its own nesting depth, internal
// "hook_*" points excluded ("layer3" → "layer2", "layer3.1" → "layer3.0", "fc" → "avgpool"), i.e. the previous
// stage or block, as the authors take the previous residual stage. It need not have been collected.

using System.Diagnostics;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Interpret.Pure;
using Unravel.Nn;

namespace Unravel.Atlas.Stages;

/// <summary>Runs PURE and stores the results.</summary>
public sealed class PureStage : IStage<PureRequest, PureStageResult>
{
    /// <inheritdoc/>
    public PureStageResult Run(PureRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.AutoK && request.K is < 1 or > 20) throw new UnravelException($"pure: k must be 1 … 20 (got {request.K}).", "the paper uses k = 2; try 2 … 5");
        if (request.References < 2) throw new UnravelException($"pure: references must be at least 2 (got {request.References}).");
        if (request.Batch < 1) throw new UnravelException($"pure: batch must be at least 1 (got {request.Batch}).");
        if (request.Restarts < 1) throw new UnravelException($"pure: restarts must be at least 1 (got {request.Restarts}).");
        AtlasSession session = request.Session;
        using IDisposable writing = session.Lock("pure", cancellationToken);
        AtlasReader atlas = session.Atlas;
        AtlasLayer layer = session.Layer(request.Layer);
        int[] neurons = session.Neurons(layer, request.Neurons);
        LoadedModel loaded = session.Model;
        if (session.Dataset is not ImageDataset data)
            throw new AnalysisException($"pure: {atlas.Root} was collected from text; PURE circuits need an image model with [N, C, H, W] layers.");
        RootModule model = loaded.Model;
        model.Eval();
        string lower = LowerLayer(model, data, layer.Name, request.Lower);

        int atlasK = atlas.TopInputs(layer.Name, neurons[0]).Inputs.Length;
        PureNeuronRequest[] requests = [.. neurons.Select(j => Requests(atlas, layer, j, request.References, request.Wide))];
        var options = new PureOptions
        {
            Layer = layer.Name, LowerLayer = lower, K = request.K, AutoK = request.AutoK, Restarts = request.Restarts,
            Seed = request.Seed ?? atlas.Seed, Batch = request.Batch,
        };
        PureResult result = PureAnalysis.Run(model, data, requests, options, progress is null ? null : new SyncProgress(progress), cancellationToken);
        PureEvaluation? evaluation = request.Evaluate ? Evaluate(request, model, loaded.Source, data, result, cancellationToken) : null;
        PureNaiveComparison? naive = request.CompareNaive > 0 ? CompareNaive(model, data, result, request.CompareNaive) : null;

        var config = new JsonObject
        {
            ["layer"] = layer.Name, ["lower_layer"] = lower, ["lower_layer_default"] = request.Lower is null, ["k"] = request.AutoK ? "auto" : request.K,
            ["k_range"] = request.AutoK ? new JsonArray(options.MinK, options.MaxK) : null, ["references"] = request.References, ["ranking"] = "max",
            ["candidates"] = request.Wide ? "top_max+top_mean+class_top_max" : "top_max+top_mean", ["restarts"] = request.Restarts, ["batch"] = request.Batch,
            ["seed"] = options.Seed, ["circuit"] = "gradient x activation, seed relu(A_j), summed over space, L1-normalised (eps 1e-10)",
            ["routing"] = "hard: nearest k-means centroid (Euclidean); inputs with max activation <= 0 skipped",
            ["judge"] = evaluation?.Judge,
        };
        Provenance provenance = Provenance.Of(PureMethod.Instance.Name, atlas, options.Seed, config);
        Dictionary<int, NeuronEvaluation> evals = evaluation?.Neurons.ToDictionary(e => e.Neuron) ?? [];
        PureMethod.Instance.Write(atlas, layer.Name, provenance,
            [.. result.Neurons.Select(n => (n.Neuron, PureMethod.Record(result, n, evals.GetValueOrDefault(n.Neuron), evaluation)))],
            evaluation is null ? null : new Dictionary<string, byte[]> { [PureMethod.EvaluationSummaryFile] = PureMethod.EvaluationSummary(layer.Name, provenance, evaluation) });
        return new PureStageResult(request, layer, result, evaluation, naive, atlas.MethodFolder(PureMethod.Instance.Name, layer.Name), atlasK, loaded.RandomWeights);
    }

    /// <summary>The lower layer: validated when given, else the previous hook at the layer's depth (see the file header).</summary>
    private static string LowerLayer(RootModule model, ImageDataset data, string layer, string? lower)
    {
        var fired = new List<string>();
        using (model.Hooks.Add("**", (name, _) => { if (!fired.Contains(name)) fired.Add(name); }))
            data.Forward(model, [0L]);
        int at = fired.IndexOf(layer);
        string before = string.Join(", ", fired.Take(Math.Max(at, 0)).Where(n => !n.Contains(".hook_", StringComparison.Ordinal)).TakeLast(30));
        if (lower is null)
        {
            int depth = layer.Count(c => c == '.');
            string? previous = fired.Take(Math.Max(at, 0)).LastOrDefault(n => n.Count(c => c == '.') == depth && !n.Contains("hook_", StringComparison.Ordinal));
            return previous ?? throw new AnalysisException($"pure: no layer before '{layer}' to compute circuits over.", $"pass --lower NAME; hooks before it: {before}");
        }
        lower = model.Hooks.ResolveAlias(lower);
        if (!model.AllHookNames.Contains(lower))
            throw new HookNotFoundException(lower, [.. fired.Take(Math.Max(at, 0))], "pure: lower layer");
        if (fired.IndexOf(lower) < 0 || fired.IndexOf(lower) >= at)
            throw new AnalysisException($"pure: lower layer '{lower}' does not run before '{layer}'.", $"pass a hook that runs before it, e.g. one of: {before}");
        return lower;
    }

    private static PureNeuronRequest Requests(AtlasReader atlas, AtlasLayer layer, int neuron, int references, bool wide)
    {
        long[] top = atlas.TopInputs(layer.Name, neuron, "max").Inputs;
        IEnumerable<long> candidates = top.Concat(atlas.TopInputs(layer.Name, neuron, "mean").Inputs);
        if (wide)
            foreach (int c in layer.Classes.Where(c => atlas.Has(layer.Name, $"class_{c}_top_max_indices")))
                candidates = candidates.Concat(atlas.TopInputs(layer.Name, neuron, prefix: $"class_{c}_top_max").Inputs);
        return new PureNeuronRequest(neuron, top.Take(references).ToArray(), candidates.Distinct().ToArray());
    }

    private static PureEvaluation Evaluate(PureRequest r, RootModule model, string modelSource, ImageDataset data, PureResult result, CancellationToken ct)
    {
        IJudgeEmbedding judge;
        ShippedModel? shippedJudge = r.Judge is null ? ShippedModel.JudgeFor(modelSource) : null;
        if (string.Equals(r.Judge, "pixels", StringComparison.OrdinalIgnoreCase))
        {
            judge = new PixelJudge(data);
        }
        else if (r.Judge is not null)
        {
            LoadedModel j = ModelReference.Load(r.Judge, r.JudgeArch);
            CheckHook(j.Model, r.JudgeLayer);
            judge = new ModelFeatureJudge(j.Model, data, r.JudgeLayer, $"{r.JudgeLayer} of {Path.GetFileName(j.Source.TrimEnd('/'))} ({j.Architecture})", independent: true);
        }
        else if (shippedJudge is not null)
        {
            LoadedModel j = ModelReference.Load(shippedJudge.WeightsPath, shippedJudge.Architecture);
            CheckHook(j.Model, r.JudgeLayer);
            judge = new ModelFeatureJudge(j.Model, data, r.JudgeLayer,
                $"{r.JudgeLayer} of {shippedJudge.Name} ({shippedJudge.Architecture}, the judge named in the model card)", independent: true);
        }
        else
        {
            CheckHook(model, r.JudgeLayer);
            judge = new ModelFeatureJudge(model, data, r.JudgeLayer, $"{r.JudgeLayer} of the analysed model (fallback, not independent)", independent: false);
        }
        return PureEvaluator.Evaluate(result, judge, ct);
    }

    private static void CheckHook(RootModule model, string hook)
    {
        if (!model.AllHookNames.Contains(hook)) throw new HookNotFoundException(hook, [.. model.AllHookNames.Where(n => !n.Contains('.'))], "--judge-layer");
    }

    /// <summary>Times <see cref="Circuits.ComputeNaive"/> on pairs spread over the computed ones; the speed-up compares
    /// per-pair times (naive extrapolated to all pairs vs the whole fast pass).</summary>
    private static PureNaiveComparison CompareNaive(RootModule model, ImageDataset data, PureResult result, int count)
    {
        CircuitRequest[] all = [.. result.Circuits.Circuits.Keys.OrderBy(p => p.Input).ThenBy(p => p.Neuron)];
        int n = Math.Min(count, all.Length);
        double maxDiff = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            CircuitRequest p = all[(int)((long)i * all.Length / n)];
            (float[] circuit, _) = Circuits.ComputeNaive(model, data, result.Options.Layer, result.Options.LowerLayer, p);
            float[] fast = result.Circuits.Circuits[p];
            for (int c = 0; c < circuit.Length; c++) maxDiff = Math.Max(maxDiff, Math.Abs(circuit[c] - fast[c]));
        }
        double naivePer = clock.Elapsed.TotalSeconds / n, fastPer = result.Circuits.Elapsed.TotalSeconds / all.Length;
        return new PureNaiveComparison(n, naivePer, fastPer, naivePer / fastPer, maxDiff);
    }

    /// <summary>Forwards the circuit pass's progress synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(IProgress<StageProgress> target) : IProgress<CollectionProgress>
    {
        public void Report(CollectionProgress value) => target.Report(new StageProgress("pure", value.Done, value.Total, value.ItemsPerSecond, value.Eta));
    }
}
