// Layer-wise relevance propagation (Bach et al. 2015, https://doi.org/10.1371/journal.pone.0130140) and concept
// relevance propagation (Achtibat et al. 2023, https://doi.org/10.1038/s42256-023-00711-8) on the tape autograd: one
// taped forward, then the tape's own reverse walk with each node's backward substituted by the rule its composite picks
// (zennit's design, Anders et al. 2021, https://arxiv.org/abs/2106.13200). Relevance travels in the gradient slot, so
// the "gradient" of every intermediate tensor is its relevance (docs/methods/lrp-crp.md).
// CRP: masks on named layers during the walk; optional start at a layer (seed = ReLU(activation)); exclude-parallel as
// a chain of walks output → condition 1 → … → input, each stopped at the next condition.

using Unravel.Interpret.Attribution.Rules;
using Unravel.Models.Onnx;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Attribution;

/// <summary>LRP / CRP attribution of a model output (or a layer's activation) onto the input.</summary>
public static class Lrp
{
    private static readonly BackwardFn s_stop = static (_, _, _) => { };

    /// <summary>Attributes an image classifier's output; the model is switched to eval mode.</summary>
    /// <param name="model">A model implementing <see cref="IImageClassifier"/>.</param>
    /// <param name="input">[N, C, H, W], preprocessed as the model expects; not modified.</param>
    /// <param name="options">Composite, canonizers, target and CRP conditions; defaults when null.</param>
    /// <exception cref="ArgumentException">The model is not an image classifier, a layer name is unknown, a channel is out of
    /// range, or the target class is out of range.</exception>
    public static LrpResult Attribute(RootModule model, Tensor input, LrpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is not IImageClassifier classifier)
            throw new ModelInputException($"lrp: {model.GetType().Name} is not an image classifier; pass its forward function explicitly.");
        model.Eval();
        return Attribute(model, classifier.Forward, input, options);
    }

    /// <summary>Attributes <paramref name="forward"/>'s output [N, Classes] onto <paramref name="input"/>.</summary>
    /// <param name="model">The model whose hook points name the layers (conditions, start, records).</param>
    /// <param name="forward">The forward pass (eval mode) from input to logits.</param>
    /// <param name="input">Input batch; not modified.</param>
    /// <param name="options">Defaults when null.</param>
    /// <returns>Input relevance, heatmap, conservation report, and the recorded layers.</returns>
    /// <exception cref="ArgumentException">A layer name is unknown or not reached, a channel is out of range, a condition
    /// sits above the start layer, or the target class is out of range.</exception>
    public static LrpResult Attribute(RootModule model, Func<Tensor, Tensor> forward, Tensor input, LrpOptions? options = null) =>
        AttributeMany(model, forward, input, options, [[]])[0];

    /// <summary>Many CRP attributions of one input from a single taped forward (zennit-crp's <c>generate</c>): one backward
    /// walk per condition set, each combined with <see cref="LrpOptions.Conditions"/>.</summary>
    /// <param name="model">The model (switched to eval mode); must implement <see cref="IImageClassifier"/>.</param>
    /// <param name="input">Input batch; not modified.</param>
    /// <param name="options">Shared options; defaults when null.</param>
    /// <param name="conditionSets">One entry per result, e.g. one <see cref="ChannelCondition"/> per channel of a layer.</param>
    /// <returns>One result per condition set, in order.</returns>
    /// <exception cref="ArgumentException">As <see cref="Attribute(RootModule, Tensor, LrpOptions?)"/>.</exception>
    public static IReadOnlyList<LrpResult> AttributeMany(RootModule model, Tensor input, LrpOptions? options,
        IReadOnlyList<IReadOnlyList<ChannelCondition>> conditionSets)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is not IImageClassifier classifier)
            throw new ModelInputException($"lrp: {model.GetType().Name} is not an image classifier; pass its forward function explicitly.");
        model.Eval();
        return AttributeMany(model, classifier.Forward, input, options, conditionSets);
    }

    /// <summary>As <see cref="AttributeMany(RootModule, Tensor, LrpOptions?, IReadOnlyList{IReadOnlyList{ChannelCondition}})"/>
    /// with an explicit forward function.</summary>
    public static IReadOnlyList<LrpResult> AttributeMany(RootModule model, Func<Tensor, Tensor> forward, Tensor input, LrpOptions? options,
        IReadOnlyList<IReadOnlyList<ChannelCondition>> conditionSets)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(conditionSets);
        options ??= new LrpOptions();
        IEnumerable<string> requested = options.Conditions.Concat(conditionSets.SelectMany(c => c)).Select(c => c.Layer).Concat(options.RecordLayers);
        if (options.StartLayer is not null) requested = requested.Append(options.StartLayer);
        if (options.StopLayer is not null) requested = requested.Append(options.StopLayer);
        foreach (string name in requested) CheckLayer(model, name);

        var names = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        var tensors = new Dictionary<string, Tensor>();
        using var tape = new Tape();
        Tensor x = tape.Watch(input.Clone());
        Tensor logits;
        using (model.Hooks.Add("**", (name, t) => { names.TryAdd(t, name); tensors.TryAdd(name, t); }))
            logits = forward(x);                                                                   // [N, K]

        var graph = new LrpGraph(tape.Nodes);
        foreach (ICanonizer c in options.Canonizers) c.Apply(graph);
        int[] classes = options.Target.Resolve(logits);
        return conditionSets.Select(set => Run(model, options, [.. options.Conditions, .. set], tape, graph, names, tensors, x, logits, classes)).ToArray();
    }

    // One backward walk (or exclude-parallel chain of walks) on a recorded forward.
    private static LrpResult Run(RootModule model, LrpOptions options, IReadOnlyList<ChannelCondition> conditions, Tape tape, LrpGraph graph,
        Dictionary<Tensor, string> names, Dictionary<string, Tensor> tensors, Tensor x, Tensor logits, int[] classes)
    {
        var walk = new Walk(tape, graph, options.Composite, names);

        // Conditions → channel masks on the layer tensors.
        foreach (ChannelCondition cond in conditions)
        {
            Tensor t = TensorOf(tensors, model, cond.Layer);
            int channels = t.Rank >= 2 ? t.Dim(1) : throw new AnalysisException($"lrp: layer '{cond.Layer}' output {t.ShapeString} has no channel axis.", "list layer names and shapes with `unravel inspect MODEL`");
            foreach (int ch in cond.Channels)
                if (ch < 0 || ch >= channels)
                    throw new AnalysisException($"lrp: channel {ch} is out of range for layer '{cond.Layer}', which has {channels} channels (0..{channels - 1}).", "list layer names and shapes with `unravel inspect MODEL`");
            int spatial = t.Length / (t.Dim(0) * channels);
            if (cond.Position is { } pos && (pos < 0 || pos >= spatial))
                throw new AnalysisException($"lrp: position {pos} is out of range for layer '{cond.Layer}', which has {spatial} positions per channel (0..{spatial - 1}).", "list layer names and shapes with `unravel inspect MODEL`");
            walk.AddMask(t, cond.Channels, cond.Position);
        }

        Tensor root, seed;
        if (options.StartLayer is { } start)
        {
            root = TensorOf(tensors, model, start);
            seed = Elementwise.Positive(root);                                                     // CRP init_rel = ReLU(a)
        }
        else
        {
            root = logits;
            seed = options.Target.SeedFor(logits, classes);
        }
        double seeded = Elementwise.Sum(walk.Masked(root, seed).Data);

        // The chain of roots: exclude-parallel walks stop at each conditioned layer in turn (top first).
        int rootIndex = walk.IndexOf(root);
        var chain = new List<Tensor> { root };
        if (options.ExcludeParallel)
        {
            foreach (ChannelCondition cond in conditions)
            {
                Tensor t = tensors[model.Hooks.ResolveAlias(cond.Layer)];
                if (ReferenceEquals(t, root) || chain.Contains(t, ReferenceEqualityComparer.Instance)) continue;
                if (walk.IndexOf(t) >= rootIndex)
                    throw new AnalysisException($"lrp: condition layer '{cond.Layer}' is not below the start of the walk.", "list layer names and shapes with `unravel inspect MODEL`");
                chain.Add(t);
            }
            chain.Sort(1, chain.Count - 1, Comparer<Tensor>.Create((a, b) => walk.IndexOf(b).CompareTo(walk.IndexOf(a))));
        }

        int bottom = -1;
        if (options.StopLayer is { } stopLayer)
        {
            bottom = walk.IndexOf(TensorOf(tensors, model, stopLayer));
            if (bottom >= rootIndex || chain.Skip(1).Any(t => walk.IndexOf(t) <= bottom))
                throw new AnalysisException($"lrp: stop layer '{stopLayer}' must lie below the start and every exclude-parallel condition.", "list layer names and shapes with `unravel inspect MODEL`");
        }
        GradStore grads = null!;
        for (int i = 0; i < chain.Count; i++)
        {
            int stop = i + 1 < chain.Count ? walk.IndexOf(chain[i + 1]) : bottom;
            grads = walk.Run(chain[i], seed, stop);
            bool last = i + 1 == chain.Count;
            foreach (string layer in options.RecordLayers) walk.Record(layer, TensorOf(tensors, model, layer), grads, stop, last);
            if (i + 1 < chain.Count) seed = grads[chain[i + 1]] ?? Tensor.Zeros(chain[i + 1].Shape.ToArray());
        }

        Tensor relevance = grads[x]?.Detach() ?? Tensor.Zeros(x.Shape.ToArray());
        var report = new ConservationReport(seeded, Elementwise.Sum(relevance.Data), walk.Report);
        var activations = options.RecordLayers.ToDictionary(l => l, l => TensorOf(tensors, model, l).Detach());
        return new LrpResult(logits.Detach(), classes, relevance, ChannelSum(relevance), report, walk.Recorded, activations);
    }

    private static void CheckLayer(RootModule model, string name)
    {
        string resolved = model.Hooks.ResolveAlias(name);
        if (!model.AllHookNames.Contains(resolved))
            throw new HookNotFoundException(name, model.AllHookNames, "lrp");
    }

    private static Tensor TensorOf(Dictionary<string, Tensor> tensors, RootModule model, string name) =>
        tensors.TryGetValue(model.Hooks.ResolveAlias(name), out Tensor? t) ? t
            : throw new AnalysisException($"lrp: layer '{name}' was not reached by the forward pass.", "list layer names and shapes with `unravel inspect MODEL`");

    // [N, C, H, W] → Σ_c [N, H, W]; other ranks unchanged.
    private static Tensor ChannelSum(Tensor r)
    {
        if (r.Rank != 4) return r;
        int n = r.Dim(0), c = r.Dim(1), hw = r.Dim(2) * r.Dim(3);
        Tensor h = Tensor.Zeros(n, r.Dim(2), r.Dim(3));
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                System.Numerics.Tensors.TensorPrimitives.Add(h.Data.Slice(i * hw, hw), r.Data.Slice((i * c + ch) * hw, hw), h.Data.Slice(i * hw, hw));
        return h;
    }

    /// <summary>The rule substitution for one attribution: rule choice per node, CRP masks, and the report.</summary>
    private sealed class Walk
    {
        private readonly Tape _tape;
        private readonly Composite _composite;
        private readonly Dictionary<Tensor, string> _names;
        private readonly Dictionary<Node, int> _index = [];
        private readonly Dictionary<Tensor, ChannelMask> _masks = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<Tensor, Tensor> _masked = new(ReferenceEqualityComparer.Instance);
        private readonly int _first = -1;

        public Walk(Tape tape, LrpGraph graph, Composite composite, Dictionary<Tensor, string> names)
        {
            _tape = tape;
            _composite = composite;
            _names = names;
            Graph = graph;
            for (int i = 0; i < tape.Nodes.Count; i++)
            {
                Node n = tape.Nodes[i];
                _index[n] = i;
                if (_first < 0 && n is { Op: "conv2d", Owner: Conv2d } or { Op: "linear", Owner: Linear } or { Owner: OnnxAffineNode }) _first = i;
            }
        }

        public LrpGraph Graph { get; }

        public List<LayerConservation> Report { get; } = [];

        public Dictionary<string, Tensor> Recorded { get; } = [];

        public int IndexOf(Tensor t) => Graph.ProducerOf(t) is { } n ? _index[n]
            : throw new ArgumentException($"lrp: the tensor {t.ShapeString} was not produced by a recorded op (is it the input?).");

        public void AddMask(Tensor t, IReadOnlyList<int> channels, int? position)
        {
            if (!_masks.TryGetValue(t, out ChannelMask? mask)) _masks[t] = mask = new ChannelMask(t.Dim(1));
            foreach (int ch in channels) mask.Keep(ch, position);
        }

        /// <summary>The seed as the walk will see it (masked when its layer is conditioned).</summary>
        public Tensor Masked(Tensor t, Tensor relevance) => _masks.TryGetValue(t, out ChannelMask? mask) ? mask.Apply(relevance) : relevance;

        public GradStore Run(Tensor root, Tensor seed, int stop) =>
            _tape.Backward(root, seed, rule: node => _index[node] <= stop ? s_stop : Substitute(node));

        /// <summary>Keeps the relevance at <paramref name="t"/> if this walk finalised it: its producer ran (index above
        /// <paramref name="stop"/>), or it is the bottom of the last walk (the stop layer).</summary>
        public void Record(string layer, Tensor t, GradStore grads, int stop, bool last)
        {
            if (Recorded.ContainsKey(layer) || Graph.ProducerOf(t) is not { } n) return;
            if (_index[n] < stop || _index[n] == stop && !last) return;
            Tensor r = _masked.TryGetValue(t, out Tensor? m) ? m : grads[t] ?? Tensor.Zeros(t.Shape.ToArray());
            Recorded[layer] = r.Detach();
        }

        private BackwardFn Substitute(Node node)
        {
            (LrpRule? rule, AffineLayer? layer) = Choose(node);
            string ruleName = rule?.Name ?? "gradient";
            return (n, dy, grads) =>
            {
                if (_masks.TryGetValue(n.Output, out ChannelMask? mask))
                {
                    dy = mask.Apply(dy);
                    _masked[n.Output] = dy;
                }
                var local = new GradStore();
                if (rule is AffineRule affine)
                {
                    Tensor x = n.Inputs[0];
                    if (local.Wants(x)) local.Accumulate(x, affine.Propagate(layer!, x, dy).Data);
                }
                else if (rule is NodeRule nodeRule) nodeRule.Propagate(n, dy, local);
                else n.Backward(n, dy, local);

                double passed = 0;
                var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
                foreach (Tensor input in n.Inputs)
                {
                    if (!seen.Add(input) || !local.TryGet(input, out Tensor? g)) continue;
                    passed += Elementwise.Sum(g.Data);
                    grads.Accumulate(input, g.Data);
                }
                Report.Add(new LayerConservation(NameOf(n), n.Op, ruleName, Elementwise.Sum(dy.Data), passed));
            };
        }

        private (LrpRule? Rule, AffineLayer? Layer) Choose(Node node)
        {
            if (Graph.RuleOf(node) is { } fixedRule) return (fixedRule, null);
            if (Graph.IsSum(node)) return (_composite.Sum, null);
            bool first = _index[node] == _first;
            switch (node)
            {
                case { Op: "conv2d", Owner: Conv2d conv }:
                    AffineLayer cl = Graph.LayerOf(node) ?? new AffineLayer(conv.Path, node.Inputs[1], node.Inputs.Count > 2 ? node.Inputs[2] : null, conv.Options);
                    return (first ? _composite.First : _composite.Convolution, cl);
                case { Op: "linear", Owner: Linear lin }:
                    AffineLayer ll = Graph.LayerOf(node) ?? new AffineLayer(lin.Path, node.Inputs[1], node.Inputs.Count > 2 ? node.Inputs[2] : null, null);
                    return (first && !_composite.FirstConvolutionOnly ? _composite.First : _composite.Dense, ll);
                // Imported graphs (ONNX): the importer tags Conv, Gemm and MatMul-with-a-constant-weight nodes.
                case { Op: "conv2d", Owner: OnnxAffineNode { Convolution: { } options } onnxConv }:
                    AffineLayer oc = Graph.LayerOf(node) ?? new AffineLayer(onnxConv.Name, node.Inputs[1], node.Inputs.Count > 2 ? node.Inputs[2] : null, options);
                    return (first ? _composite.First : _composite.Convolution, oc);
                case { Op: "linear" or "matmul", Owner: OnnxAffineNode onnxDense }:
                    AffineLayer od = new(onnxDense.Name, onnxDense.DenseWeight(node), node.Inputs.Count > 2 ? node.Inputs[2] : null, null);
                    return (first && !_composite.FirstConvolutionOnly ? _composite.First : _composite.Dense, od);
                case { Op: "relu" or "gelu" or "sigmoid" or "tanh" }:
                    return (_composite.Activation, null);
                case { Op: "batch_norm2d" }:
                    return (_composite.BatchNorm, null);
                case { Op: "avg_pool2d" or "adaptive_avg_pool2d" }:
                    return (_composite.Pooling, null);
                default:
                    return (null, null); // gradient: max pool = winner-take-all, reshape, slice, padding, dropout
            }
        }

        private string NameOf(Node n) =>
            _names.TryGetValue(n.Output, out string? name) ? name : n.Owner is Module m && m.Path.Length > 0 ? m.Path : $"{n.Op}#{_index[n]}";
    }

    /// <summary>CRP mask of one layer: kept channels (axis 1), each whole or at single flat spatial positions.</summary>
    private sealed class ChannelMask(int channels)
    {
        private readonly HashSet<int>?[] _positions = new HashSet<int>?[channels];
        private readonly bool[] _whole = new bool[channels];

        public void Keep(int channel, int? position)
        {
            if (position is null) _whole[channel] = true;
            else (_positions[channel] ??= []).Add(position.Value);
        }

        /// <summary>A copy of <paramref name="r"/> [N, C, …] with everything not kept set to zero.</summary>
        public Tensor Apply(Tensor r)
        {
            Tensor o = Tensor.Zeros(r.Shape.ToArray());
            int n = r.Dim(0), c = r.Dim(1), inner = r.Length / (n * c);
            for (int i = 0; i < n; i++)
                for (int ch = 0; ch < c; ch++)
                {
                    int at = (i * c + ch) * inner;
                    if (_whole[ch]) r.Data.Slice(at, inner).CopyTo(o.Data.Slice(at, inner));
                    else if (_positions[ch] is { } ps)
                        foreach (int p in ps) o.Data[at + p] = r.Data[at + p];
                }
            return o;
        }
    }
}
