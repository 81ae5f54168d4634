// The SAE stage (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166, §3.3.2, §4.2):
// trains a sparse autoencoder (ReLU, L1, unit-norm decoder) on one transformer MLP layer's input over the atlas's token
// windows (the first 80 % of the windows; the beginning-of-text position, identical in every window, left out), with or
// without the neuron-embedding loss; evaluates on the other 20 % the quantities of the paper's Tables 2 and 3
// (reconstruction MSE, L1, L0, dead latents, median MaxDist/MeanDist of the latents' embeddings) and the language-model
// loss with the SAE's reconstruction spliced in; saves the weights (safetensors, with the provenance in the metadata)
// and a summary (sae.json); and collects the latents over every window into an atlas of one layer ("<block>.mlp.sae"),
// so that each latent has top windows and per-token activations like a neuron.

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Interpret.Sae;
using Unravel.IO;
using Unravel.Models;
using Unravel.Models.Text;
using Unravel.Nn;

namespace Unravel.Atlas.Stages;

/// <summary>Trains, evaluates and stores an SAE and the atlas of its latents.</summary>
public sealed class SaeStage : IStage<SaeRequest, SaeStageResult>
{
    /// <inheritdoc/>
    public SaeStageResult Run(SaeRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Latents is < 1) throw new UnravelException($"sae: latents must be at least 1 (got {request.Latents}).", "the paper uses 8 × the input width");
        if (request.Steps is < 1) throw new UnravelException($"sae: steps must be at least 1 (got {request.Steps}).");
        if (!(request.L1 >= 0) || !float.IsFinite(request.L1)) throw new UnravelException($"sae: the L1 weight must be a finite number ≥ 0 (got {request.L1}).");
        if (!(request.NeuronEmbeddingWeight > 0) || !float.IsFinite(request.NeuronEmbeddingWeight))
            throw new UnravelException($"sae: the neuron-embedding weight must be positive (got {request.NeuronEmbeddingWeight}).");
        if (request.LossWindows < 1 || request.TopK < 1 || request.Batch < 1)
            throw new UnravelException("sae: loss windows, top-k and batch must be at least 1.");
        AtlasSession session = request.Session;
        AtlasReader atlas = session.Atlas;
        RootModule model = session.Model.Model;
        if (model is not ITransformerMlpModel mlpModel || model is not ILanguageModel lm)
            throw new AnalysisException($"sae: {atlas.Architecture} ({model.GetType().Name}) has no transformer MLP layers; the SAE reads one's input.",
                "use an atlas of a GPT-2 language model, e.g. the demo's Brown atlas");
        if (session.Dataset is not TokenWindowDataset data)
            throw new AnalysisException("sae: the atlas's dataset is not text; the SAE is trained on token windows.", "use an atlas collected over a text or Brown file");
        int block = BlockOf(model, mlpModel, request.Layer);
        TransformerMlp mlp = mlpModel.MlpLayer(block);
        int windows = atlas.Inputs > 0 ? Math.Min(atlas.Inputs, data.Count) : data.Count;
        if (windows < 5) throw new AnalysisException($"sae: {atlas.Root} holds {windows} token windows; training and evaluation need at least 5.");
        int trainWindows = windows * 4 / 5, evalWindows = windows - trainWindows, d = mlp.Width;
        int skip = atlas.Dataset?.Bos == true ? 1 : 0;
        int seed = request.Seed ?? atlas.Seed;
        var clock = Stopwatch.StartNew();
        model.Eval();

        float[] train = Inputs(model, mlpModel, mlp, data, block, 0, trainWindows, skip, request.Batch, cancellationToken);
        float[] eval = Inputs(model, mlpModel, mlp, data, block, trainWindows, evalWindows, skip, request.Batch, cancellationToken);
        int trainRows = train.Length / d, evalRows = eval.Length / d;
        var options = new SaeOptions
        {
            Latents = request.Latents ?? 8 * d, Steps = request.Steps ?? Math.Max(1, trainRows / 64), BatchSize = 64, LearningRate = 1e-3f, L1 = request.L1,
            NeuronEmbedding = request.NeuronEmbeddingLoss ? request.NeuronEmbeddingWeight : 0, NeuronEmbeddingStart = 200, Momentum = 0.9f, Seed = seed,
        };
        var trainClock = Stopwatch.StartNew();
        SaeResult trained = SaeTrainer.Train(train, trainRows, d, options,
            progress is null ? null : new SyncProgress(step => progress.Report(StageProgress.After("sae: train", step, options.Steps, clock.Elapsed))), cancellationToken);
        TimeSpan trainTime = trainClock.Elapsed;
        SparseAutoencoder sae = trained.Model;
        SaeEvaluation evaluation = SaeEvaluator.Evaluate(sae, eval, evalRows, 100, cancellationToken);

        int lossWindows = Math.Min(request.LossWindows, evalWindows);
        double baseLoss = LanguageModelLoss(lm, data, trainWindows, lossWindows, request.Batch, cancellationToken);
        double splicedLoss;
        using (model.Hooks.Add(mlp.InputHook, (_, t) => sae.Decode(sae.Encode(t.Reshape(t.Length / d, d))).Reshape([.. t.Shape])))
            splicedLoss = LanguageModelLoss(lm, data, trainWindows, lossWindows, request.Batch, cancellationToken);

        string latentLayer = mlp.ActivationHook[..Math.Max(0, mlp.ActivationHook.LastIndexOf('.'))] + ".sae";
        string variant = request.NeuronEmbeddingLoss ? "ne" : "standard";
        string dir = Path.GetFullPath(request.Out ?? atlas.PathOf("sae", $"{AtlasWriter.LayerFolder(latentLayer)}-{variant}"));
        Directory.CreateDirectory(dir);
        var config = new JsonObject
        {
            ["layer"] = mlp.ActivationHook, ["input_hook"] = mlp.InputHook, ["block"] = block, ["latents"] = options.Latents, ["steps"] = options.Steps,
            ["batch_size"] = options.BatchSize, ["learning_rate"] = options.LearningRate, ["l1"] = options.L1, ["ne_loss"] = request.NeuronEmbeddingLoss,
            ["ne_weight"] = options.NeuronEmbedding, ["ne_start"] = options.NeuronEmbeddingStart, ["momentum"] = options.Momentum,
            ["train_windows"] = trainWindows, ["eval_windows"] = evalWindows, ["loss_windows"] = lossWindows, ["skip_first_position"] = skip == 1,
        };
        Provenance provenance = Provenance.Of("sae", atlas, seed, config);
        string provenanceJson = JsonSerializer.Serialize(provenance, SaeJson.Default.Provenance);
        string weights = Path.Combine(dir, "sae.safetensors");
        SafeTensors.Write(weights, sae.StateDict(), new Dictionary<string, string> { ["provenance"] = provenanceJson, ["format"] = "unravel-sae/1" });

        // The latents as a layer: every window through the SAE, top windows and per-token activations as for a neuron.
        var wrapper = new SaeLanguageModel(model, block, sae, latentLayer, skip == 1);
        var collection = new CollectionOptions { TopK = request.TopK, Seed = seed };
        CollectionResult latents = Collector.Run(wrapper, data, [latentLayer], collection, request.Batch, windows,
            progress is null ? null : new SyncProgress<CollectionProgress>(p => progress.Report(new StageProgress("sae: latents", p.Done, p.Total, p.ItemsPerSecond, p.Eta))),
            cancellationToken);
        string latentAtlas = Path.Combine(dir, "latents");
        JsonObject dataset = atlas.Manifest["dataset"] as JsonObject ?? [];
        var atlasProvenance = new AtlasProvenance(AtlasFormat.ToolVersion, atlas.Architecture, atlas.ModelSource, atlas.ModelSha256,
            dataset["source"]?.GetValue<string>() ?? "", dataset["description"]?.GetValue<string>() ?? "", atlas.DatasetSha256 ?? "",
            "unravel " + string.Join(" ", Environment.GetCommandLineArgs().Skip(1)), atlas.Dataset, atlas.ModelConfig);
        AtlasWriter.Write(latentAtlas, latents, collection, atlasProvenance, overwrite: true, new ReferenceSource(wrapper, data, BatchSize: request.Batch),
            new JsonObject { ["sae"] = new JsonObject { ["weights"] = weights, ["source_atlas"] = atlas.Root, ["layer"] = latentLayer, ["provenance"] = JsonNode.Parse(provenanceJson) } });

        var result = new SaeStageResult(block, mlp.InputHook, options, trainRows, evalRows, evaluation, baseLoss, splicedLoss, lossWindows, weights, latentAtlas,
            latentLayer, trainTime, clock.Elapsed);
        var summary = new JsonObject
        {
            ["provenance"] = JsonNode.Parse(provenanceJson),
            ["train_rows"] = trainRows, ["eval_rows"] = evalRows,
            ["mse"] = evaluation.Mse, ["l1"] = evaluation.L1, ["l0_share"] = evaluation.L0Share, ["dead_share"] = evaluation.DeadShare,
            ["base_loss"] = baseLoss, ["spliced_loss"] = splicedLoss, ["loss_increase"] = result.LossIncrease,
            ["max_dist_median"] = Finite(evaluation.MaxDist.Median), ["max_dist_mean"] = Finite(evaluation.MaxDist.Mean),
            ["mean_dist_median"] = Finite(evaluation.MeanDist.Median), ["mean_dist_mean"] = Finite(evaluation.MeanDist.Mean),
            ["final_mse"] = trained.Mse.Length > 0 ? trained.Mse[^1] : null,
            ["weights"] = weights, ["latent_atlas"] = latentAtlas, ["latent_layer"] = latentLayer,
            ["train_seconds"] = trainTime.TotalSeconds, ["seconds"] = clock.Elapsed.TotalSeconds,
        };
        Unravel.IO.AtomicFile.WriteAllBytes(Path.Combine(dir, "sae.json"), System.Text.Encoding.UTF8.GetBytes(summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        return result;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>The block whose MLP has <paramref name="layer"/> among its hooks (activation, pre-activation, input, norm, residual).</summary>
    private static int BlockOf(RootModule model, ITransformerMlpModel mlpModel, string layer)
    {
        string resolved = model.Hooks.ResolveAlias(layer);
        for (int b = 0; b < mlpModel.MlpLayerCount; b++)
        {
            TransformerMlp m = mlpModel.MlpLayer(b);
            if (new[] { m.ActivationHook, m.PreActivationHook, m.InputHook, m.NormalizedHook }.Any(h => h == layer || model.Hooks.ResolveAlias(h) == resolved)) return b;
        }
        throw new AnalysisException($"sae: '{layer}' is not a hook of a transformer MLP.",
            $"pass one of {string.Join(", ", Enumerable.Range(0, mlpModel.MlpLayerCount).Select(b => mlpModel.MlpLayer(b).ActivationHook))}");
    }

    /// <summary>The MLP input [rows, D] at every position (after the first <paramref name="skip"/>) of windows [first, first + count).</summary>
    private static float[] Inputs(RootModule model, ITransformerMlpModel mlpModel, TransformerMlp mlp, TokenWindowDataset data, int block, int first, int count,
        int skip, int batch, CancellationToken cancellationToken)
    {
        int t = data.Length, d = mlp.Width;
        var rows = new float[(long)count * (t - skip) * d];
        for (int s = first; s < first + count; s += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(batch, first + count - s);
            int[] tokens = data.Tokens.Slice(s * t, n * t).ToArray();
            Tensor h = model.RunWithCache(() => mlpModel.ForwardThroughLayer(tokens, n, t, block), mlp.InputHook)[mlp.InputHook];   // [n, T, D]
            for (int i = 0; i < n; i++)
                h.Data.Slice((i * t + skip) * d, (t - skip) * d).CopyTo(rows.AsSpan((s - first + i) * (t - skip) * d));
        }
        return rows;
    }

    /// <summary>Mean next-token cross-entropy (nats) over windows [first, first + count).</summary>
    public static double LanguageModelLoss(ILanguageModel lm, TokenWindowDataset data, int first, int count, int batch = 16, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lm);
        ArgumentNullException.ThrowIfNull(data);
        int t = data.Length, v = lm.VocabSize;
        double total = 0;
        long n = 0;
        for (int s = first; s < first + count; s += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int b = Math.Min(batch, first + count - s);
            int[] tokens = data.Tokens.Slice(s * t, b * t).ToArray();
            float[] logits = lm.Forward(tokens, b, t).ToArray();
            for (int i = 0; i < b; i++)
                for (int p = 0; p < t - 1; p++)
                {
                    ReadOnlySpan<float> row = logits.AsSpan((i * t + p) * v, v);
                    float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
                    double sum = 0;
                    foreach (float x in row) sum += Math.Exp(x - max);
                    total += max + Math.Log(sum) - row[tokens[i * t + p + 1]];
                    n++;
                }
        }
        return total / n;
    }

    /// <summary>Forwards progress synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
