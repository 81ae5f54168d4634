// The neuron-embeddings stage (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166):
// for a transformer MLP layer of a language-model atlas, one pass over the atlas's token windows finds each neuron's
// characteristic examples (§4.1.1), a second pass over only those windows builds the neuron embeddings e = h ⊙ w at
// the key tokens (§3.1), each neuron's embeddings are clustered (average linkage, cosine, cut at 0.5; §3.2) with the
// polysemanticity metrics (§3.3.1), similar features are found among the run's clusters, and the shown windows get
// per-token activations and (for the central examples) token importance. On Brown data the clusters are compared with
// the key tokens' part-of-speech tags (ARI, NMI). Results are stored through EmbedMethod. Similar features are searched
// exactly over the clusters of this layer and of every other layer embedded earlier with the same variant (their central
// embeddings are stored in the records), with the per-layer thresholds of §4.1.1; the other layers' links are rewritten
// so that every embedded layer links to every other.

using System.Diagnostics;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Interpret;
using Unravel.Interpret.NeuronEmbeddings;
using Unravel.IO.Text;
using Unravel.Models;
using Unravel.Nn;

namespace Unravel.Atlas.Stages;

/// <summary>Runs neuron embeddings and stores the results.</summary>
public sealed class EmbedStage : IStage<EmbedRequest, EmbedStageResult>
{
    /// <summary>Tokens shown before the key token.</summary>
    public const int Back = 20;

    /// <summary>Tokens shown after the key token.</summary>
    public const int Forward = 10;

    /// <inheritdoc/>
    public EmbedStageResult Run(EmbedRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        EmbeddingVariant variant = VariantOf(request.Variant);
        ExampleSelection selection = request.Selection switch
        {
            "first" => ExampleSelection.FirstAboveThreshold,
            "top-k" => ExampleSelection.TopK,
            _ => throw new UnravelException($"embed: unknown example selection '{request.Selection}'.", "use first (the paper's rule) or top-k"),
        };
        if (request.Examples < 2) throw new UnravelException($"embed: examples per neuron must be at least 2 (got {request.Examples}).");
        if (!(request.Ratio > 0 && request.Ratio <= 1)) throw new UnravelException($"embed: the ratio must be in (0, 1] (got {request.Ratio}).");
        if (request.MostSplit is not null && request.Neurons is not null)
            throw new UnravelException("embed: most-split picks among every neuron of the layer; it excludes a neuron list.", "drop --neurons, or --most-split");
        if (!(request.Threshold > 0)) throw new UnravelException($"embed: the threshold must be positive (got {request.Threshold}).");
        if (request.BatchSize < 1 || request.Shown < 1 || request.Similar < 0 || request.MostSplit < 1)
            throw new UnravelException("embed: batch size and shown windows must be at least 1, similar features at least 0.");

        AtlasSession session = request.Session;
        using IDisposable writing = session.Lock("embed", cancellationToken);
        AtlasReader atlas = session.Atlas;
        AtlasLayer layer = session.Layer(request.Layer);
        int[] neurons = session.Neurons(layer, request.Neurons);
        RootModule model = session.Model.Model;
        if (model is not ITransformerMlpModel mlpModel)
            throw new AnalysisException($"embed: {atlas.Architecture} ({model.GetType().Name}) has no transformer MLP layers; neuron embeddings need one.",
                "collect a GPT-2 language model's MLP layer, e.g. blocks.2.mlp.hook_post");
        int block = BlockOf(model, mlpModel, layer.Name);
        if (session.Dataset is not TokenWindowDataset data)
            throw new AnalysisException($"embed: the atlas's dataset is not text; neuron embeddings read token windows.", "collect the model over a text or Brown file");
        TransformerMlp mlp = mlpModel.MlpLayer(block);

        var clock = Stopwatch.StartNew();
        var timings = new List<(string, double)>();
        var step = Stopwatch.StartNew();
        int windows = atlas.Inputs > 0 ? Math.Min(atlas.Inputs, data.Count) : data.Count;
        var accumulator = new CharacteristicExamples(mlp.Neurons, new CharacteristicExampleOptions
        {
            Count = request.Examples, Ratio = (float)request.Ratio, Selection = selection, Capacity = Math.Max(1000, request.Examples),
        });
        model.Eval();
        for (int start = 0; start < windows; start += request.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(request.BatchSize, windows - start);
            int[] tokens = data.Tokens.Slice(start * data.Length, n * data.Length).ToArray();
            Tensor act = model.RunWithCache(() => mlpModel.ForwardThroughLayer(tokens, n, data.Length, block), mlp.ActivationHook)[mlp.ActivationHook];
            accumulator.Update(act, start);
            progress?.Report(StageProgress.After("embed: examples", start + n, windows, clock.Elapsed));
        }
        CharacteristicExampleSet examples = accumulator.ToResult();
        timings.Add(("examples", step.Elapsed.TotalSeconds));

        step.Restart();
        LayerEmbeddings embeddings = NeuronEmbedder.Compute(model, data, block, examples, variant, neurons, request.BatchSize, cancellationToken);
        timings.Add(("embeddings", step.Elapsed.TotalSeconds));
        step.Restart();
        LayerEmbeddingResult result = NeuronEmbeddingAnalysis.Run(embeddings, new NeuronEmbeddingOptions { Threshold = request.Threshold }, null, cancellationToken);
        Func<CharacteristicExample, int>? gold = null;
        IReadOnlyList<string>? tagNames = null;
        if (atlas.Dataset is { Kind: "brown" } spec) (gold, tagNames) = BrownGold(spec, data);
        Dictionary<int, (double Ari, double Nmi)> agreement = gold is null ? []
            : NeuronEmbeddingAnalysis.Agreement(result, gold).ToDictionary(a => a.Neuron, a => (a.Ari, a.Nmi));
        var multi = result.Neurons.Where(x => x.Clusters.Metrics.Clusters >= 2 && agreement.ContainsKey(x.Neuron)).Select(x => agreement[x.Neuron]).ToList();
        (double, double, int)? agree = multi.Count == 0 ? null
            : (MetricAggregate.Of(multi.Select(x => x.Ari)).Median, MetricAggregate.Of(multi.Select(x => x.Nmi)).Median, multi.Count);
        PolysemanticitySummary summary = result.Summary;
        PolysemanticitySummary? rawSummary = result.RawSummary;
        if (request.MostSplit is { } keep)
        {
            HashSet<int> kept = [.. result.Neurons.OrderByDescending(x => x.Clusters.Metrics.Clusters).ThenByDescending(x => x.Clusters.Metrics.MaxDist)
                .ThenBy(x => x.Neuron).Take(keep).Select(x => x.Neuron)];
            result = result with { Neurons = [.. result.Neurons.Where(x => kept.Contains(x.Neuron))] };
            neurons = [.. neurons.Where(n => kept.Contains(n) || result.TooFewExamples.Contains(n))];
        }
        timings.Add(("clustering", step.Elapsed.TotalSeconds));
        step.Restart();
        var sets = embeddings.Neurons.ToDictionary(s => s.Neuron);
        var centrals = new Dictionary<(int Neuron, int Cluster), float[]>();
        foreach (NeuronEmbeddingResult r in result.Neurons)
            for (int c = 0; c < r.Clusters.Central.Length; c++) centrals[(r.Neuron, c)] = SimilarFeatures.Central(r, sets[r.Neuron], c);
        var others = OtherLayers(atlas, model, mlpModel, layer.Name, request.Variant);
        FeatureRef[] refs = [.. centrals.Keys.Select(k => new FeatureRef(block, k.Neuron, k.Cluster)),
            .. others.SelectMany(o => o.Features.Select(f => new FeatureRef(o.Block, f.Neuron, f.Cluster)))];
        float[][] vectors = [.. centrals.Values, .. others.SelectMany(o => o.Features.Select(f => f.Embedding))];
        SimilarFeaturesResult similar = SimilarFeatures.Find(refs, vectors, new SimilarFeatureOptions { Top = request.Similar }, cancellationToken);
        string[] layerOfBlock = new string[mlpModel.MlpLayerCount];
        layerOfBlock[block] = layer.Name;
        foreach (var o in others) layerOfBlock[o.Block] = o.Layer;
        var neighbours = new Dictionary<(int Block, int Neuron, int Cluster), EmbedSimilarRecord[]>();
        for (int i = 0; i < similar.Features.Count; i++)
            neighbours[(similar.Features[i].Layer, similar.Features[i].Neuron, similar.Features[i].Cluster)] =
                [.. similar.Neighbours[i].Select(s => new EmbedSimilarRecord(layerOfBlock[s.Feature.Layer], s.Feature.Neuron, s.Feature.Cluster, s.Similarity))];
        foreach (var o in others) Relink(atlas, o.Layer, o.Block, neighbours);
        double searchSeconds = step.Elapsed.TotalSeconds;

        step.Restart();
        Func<int, string> decode = Assets.Tokenizer().TokenText;
        Dictionary<(int Neuron, long Input), float[]> maps = ActivationMaps(model, mlpModel, mlp, data, block, result, request, cancellationToken);
        Dictionary<(int Neuron, int Cluster), float[]> importance = request.Importance
            ? Importance(model, data, block, result, cancellationToken) : [];
        timings.Add(("windows and importance", step.Elapsed.TotalSeconds));

        var byNeuron = result.Neurons.ToDictionary(r => r.Neuron);
        var done = new List<EmbedNeuron>();
        var records = new List<(int, EmbedRecord)>();
        foreach (int n in neurons)
        {
            if (!byNeuron.TryGetValue(n, out NeuronEmbeddingResult? r)) continue;
            EmbedRecord record = Record(r, request, examples, layer.Name, data, decode, maps, importance, neighbours,
                gold is null ? null : e => gold(e) is int t and >= 0 ? tagNames![t] : null, agreement.TryGetValue(n, out var a) ? a : null, block, centrals);
            records.Add((n, record));
            done.Add(new EmbedNeuron(n, r, record, EmbedMethod.Instance.PathOf(atlas, layer.Name, n)));
        }
        var options = new JsonObject
        {
            ["variant"] = request.Variant, ["selection"] = request.Selection, ["examples"] = request.Examples, ["ratio"] = request.Ratio,
            ["threshold"] = request.Threshold, ["linkage"] = "average", ["metric"] = "cosine", ["shown"] = request.Shown,
            ["importance"] = request.Importance, ["similar"] = request.Similar, ["windows"] = windows, ["most_split"] = request.MostSplit,
        };
        EmbedMethod.Instance.Write(atlas, layer.Name, Provenance.Of(EmbedMethod.Instance.Name, atlas, atlas.Seed, options), records);
        int[] tooFew = [.. result.TooFewExamples];
        return new EmbedStageResult(layer, request, block, windows, done, tooFew, summary, rawSummary, agree, timings, clock.Elapsed)
        {
            SimilarSearch = (1 + others.Count, refs.Length, similar.Comparisons, searchSeconds),
        };
    }

    /// <summary>The variant named on the command line.</summary>
    /// <exception cref="UnravelException">Not tl, hf or resid.</exception>
    public static EmbeddingVariant VariantOf(string name) => name switch
    {
        "tl" => EmbeddingVariant.TransformerLens,
        "hf" => EmbeddingVariant.HuggingFace,
        "resid" => EmbeddingVariant.Residual,
        _ => throw new UnravelException($"embed: unknown variant '{name}'.", "use tl (TransformerLens folding), hf (raw weights) or resid (residual stream)"),
    };

    /// <summary>The block whose MLP activation hook the layer is.</summary>
    private static int BlockOf(RootModule model, ITransformerMlpModel mlpModel, string layer)
    {
        string resolved = model.Hooks.ResolveAlias(layer);
        for (int b = 0; b < mlpModel.MlpLayerCount; b++)
        {
            string hook = mlpModel.MlpLayer(b).ActivationHook;
            if (hook == layer || model.Hooks.ResolveAlias(hook) == resolved) return b;
        }
        throw new AnalysisException($"embed: layer '{layer}' is not the activation of a transformer MLP.",
            $"collect one of {string.Join(", ", Enumerable.Range(0, mlpModel.MlpLayerCount).Select(b => mlpModel.MlpLayer(b).ActivationHook))}");
    }

    /// <summary>The part-of-speech tag of an example's key token: window w, position p of a dataset cut as FromText does.</summary>
    private static (Func<CharacteristicExample, int>, IReadOnlyList<string>) BrownGold(DatasetSpec spec, TokenWindowDataset data)
    {
        IReadOnlyList<string> files = Directory.Exists(spec.Path) ? BrownCorpus.ListFiles(spec.Path) : [spec.Path];
        (int[] _, int[] tags, IReadOnlyList<string> names) = BrownTokenTags.Encode(files, Assets.Tokenizer());
        bool bos = spec.Bos ?? false;
        int body = data.Length - (bos ? 1 : 0);
        return (e =>
        {
            if (bos && e.Position == 0) return -1;
            long at = e.Input * body + e.Position - (bos ? 1 : 0);
            return at < tags.Length ? tags[at] : -1;
        }, names);
    }

    /// <summary>Shown members of a cluster: the central example first, then the others in example order.</summary>
    private static int[] Shown(FeatureClusters c, int cluster, int shown) =>
        [c.Central[cluster], .. Enumerable.Range(0, c.Labels.Length).Where(k => c.Labels[k] == cluster && k != c.Central[cluster]).Take(shown - 1)];

    /// <summary>The neuron's activation over every position of each shown window.</summary>
    private static Dictionary<(int, long), float[]> ActivationMaps(RootModule model, ITransformerMlpModel mlpModel, TransformerMlp mlp,
        TokenWindowDataset data, int block, LayerEmbeddingResult result, EmbedRequest request, CancellationToken cancellationToken)
    {
        var wanted = new SortedDictionary<long, List<int>>();
        foreach (NeuronEmbeddingResult r in result.Neurons)
            for (int c = 0; c < r.Clusters.Sizes.Length; c++)
                foreach (int k in Shown(r.Clusters, c, request.Shown))
                {
                    if (!wanted.TryGetValue(r.Examples[k].Input, out List<int>? list)) wanted[r.Examples[k].Input] = list = [];
                    if (!list.Contains(r.Neuron)) list.Add(r.Neuron);
                }
        var maps = new Dictionary<(int, long), float[]>();
        long[] inputs = [.. wanted.Keys];
        int t = data.Length, f = mlp.Neurons;
        for (int start = 0; start < inputs.Length; start += request.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long[] batch = inputs[start..Math.Min(inputs.Length, start + request.BatchSize)];
            var tokens = new int[batch.Length * t];
            for (int i = 0; i < batch.Length; i++) data.Window(batch[i]).CopyTo(tokens.AsSpan(i * t));
            Tensor act = model.RunWithCache(() => mlpModel.ForwardThroughLayer(tokens, batch.Length, t, block), mlp.ActivationHook)[mlp.ActivationHook];
            ReadOnlySpan<float> a = act.Data;
            for (int i = 0; i < batch.Length; i++)
                foreach (int j in wanted[batch[i]])
                {
                    var map = new float[t];
                    for (int p = 0; p < t; p++) map[p] = a[(i * t + p) * f + j];
                    maps[(j, batch[i])] = map;
                }
        }
        return maps;
    }

    /// <summary>Token importance of each cluster's central example.</summary>
    private static Dictionary<(int, int), float[]> Importance(RootModule model, TokenWindowDataset data, int block, LayerEmbeddingResult result,
        CancellationToken cancellationToken)
    {
        var keys = new List<(int, int)>();
        var requests = new List<TokenImportanceRequest>();
        foreach (NeuronEmbeddingResult r in result.Neurons)
            for (int c = 0; c < r.Clusters.Central.Length; c++)
            {
                CharacteristicExample e = r.Examples[r.Clusters.Central[c]];
                keys.Add((r.Neuron, c));
                requests.Add(new TokenImportanceRequest(data.Window(e.Input).ToArray(), e.Position, r.Neuron));
            }
        IReadOnlyList<TokenImportanceResult> found = TokenImportance.Compute(model, block, requests,
            new TokenImportanceOptions { Back = Back, Replacement = Assets.Tokenizer().EndOfText }, cancellationToken);
        var map = new Dictionary<(int, int), float[]>();
        for (int i = 0; i < keys.Count; i++) map[keys[i]] = found[i].Importance;
        return map;
    }

    private static EmbedRecord Record(NeuronEmbeddingResult r, EmbedRequest request, CharacteristicExampleSet examples, string layer, TokenWindowDataset data,
        Func<int, string> decode, Dictionary<(int, long), float[]> maps, Dictionary<(int, int), float[]> importance,
        Dictionary<(int, int, int), EmbedSimilarRecord[]> neighbours, Func<CharacteristicExample, string?>? tag, (double Ari, double Nmi)? agreement,
        int block, Dictionary<(int, int), float[]> centrals)
    {
        FeatureClusters c = r.Clusters;
        EmbedWindowRecord Window(CharacteristicExample e)
        {
            ReadOnlySpan<int> tokens = data.Window(e.Input);
            int from = Math.Max(0, e.Position - Back), to = Math.Min(tokens.Length, e.Position + Forward + 1);
            float[] map = maps[(r.Neuron, e.Input)];
            var text = new string[to - from];
            for (int p = from; p < to; p++) text[p - from] = decode(tokens[p]);
            return new EmbedWindowRecord(e.Input, e.Position - from, text, map[from..to]);
        }
        var clusters = new EmbedClusterRecord[c.Sizes.Length];
        for (int k = 0; k < clusters.Length; k++)
        {
            CharacteristicExample central = r.Examples[c.Central[k]];
            int from = Math.Max(0, central.Position - Back), to = Math.Min(data.Length, central.Position + Forward + 1);
            float[]? imp = importance.TryGetValue((r.Neuron, k), out float[]? full) ? full[from..to] : null;
            EmbedSimilarRecord[] similar = neighbours.GetValueOrDefault((block, r.Neuron, k)) ?? [];
            clusters[k] = new EmbedClusterRecord(k, c.Sizes[k], c.Central[k], Enumerable.Range(0, c.Labels.Length).Where(i => c.Labels[i] == k).ToArray(),
                Shown(c, k, request.Shown).Select(i => Window(r.Examples[i])).ToArray(), imp, similar, centrals[(r.Neuron, k)]);
        }
        PolysemanticityMetrics m = c.Metrics;
        return new EmbedRecord(request.Variant, request.Selection, request.Ratio, request.Threshold, examples.Maximum[r.Neuron], examples.Exact[r.Neuron],
            r.Examples.Select((e, i) => new EmbedExampleRecord(e.Input, e.Position, e.Activation, c.Labels[i], tag?.Invoke(e))).ToArray(),
            c.Dendrogram.Merges.Select(x => new double[] { x.Left, x.Right, x.Height, x.Size }).ToArray(), clusters,
            m.MaxDist, m.MeanDist, Finite(m.Intra), Finite(m.Inter), Metrics(r.Raw?.Metrics ?? m), agreement?.Ari, agreement?.Nmi);
    }

    /// <summary>The other MLP layers of the atlas embedded with <paramref name="variant"/>: their stored features and
    /// central embeddings (records without embeddings, from before they were stored, are left out).</summary>
    private static List<(string Layer, int Block, List<(int Neuron, int Cluster, float[] Embedding)> Features)> OtherLayers(AtlasReader atlas,
        RootModule model, ITransformerMlpModel mlpModel, string layer, string variant)
    {
        var found = new List<(string, int, List<(int, int, float[])>)>();
        foreach (string other in atlas.Layers.Select(l => l.Name).Where(n => n != layer))
        {
            int block = Enumerable.Range(0, mlpModel.MlpLayerCount).FirstOrDefault(b => mlpModel.MlpLayer(b).ActivationHook == other
                || model.Hooks.ResolveAlias(mlpModel.MlpLayer(b).ActivationHook) == model.Hooks.ResolveAlias(other), -1);
            if (block < 0) continue;
            var features = new List<(int, int, float[])>();
            foreach (int n in EmbedMethod.Instance.Analysed(atlas, other))
                if (EmbedMethod.Instance.Read(atlas, other, n) is { Result.Variant: var v } r && v == variant)
                    foreach (EmbedClusterRecord c in r.Result.Clusters)
                        if (c.Embedding is { } e) features.Add((n, c.Id, e));
            if (features.Count > 0) found.Add((other, block, features));
        }
        return found;
    }

    /// <summary>Rewrites the similar-feature links of an earlier embedded layer with the search that now includes this one.</summary>
    private static void Relink(AtlasReader atlas, string layer, int block, Dictionary<(int, int, int), EmbedSimilarRecord[]> neighbours)
    {
        var records = new List<(int, EmbedRecord)>();
        Provenance? provenance = null;
        foreach (int n in EmbedMethod.Instance.Analysed(atlas, layer))
            if (EmbedMethod.Instance.Read(atlas, layer, n) is { } r)
            {
                provenance ??= r.Provenance;
                records.Add((n, r.Result with
                {
                    Clusters = [.. r.Result.Clusters.Select(c => c.Embedding is null ? c : c with { Similar = neighbours.GetValueOrDefault((block, n, c.Id)) ?? [] })],
                }));
            }
        if (provenance is not null) EmbedMethod.Instance.Write(atlas, layer, provenance, records);
    }

    private static EmbedMetricsRecord Metrics(PolysemanticityMetrics m) => new(m.Clusters, m.MaxDist, m.MeanDist, Finite(m.Intra), Finite(m.Inter));

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
