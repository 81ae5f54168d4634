// PURE circuits (Dreyer, Purelku, Vielhaben, Samek, Lapuschkin, CVPR-W 2024, arXiv 2404.06453; official code
// maxdreyer/PURE compute_latent_features.py; docs/methods/pure.md): for neuron j of
// layer l and an input, seed the backward at l with relu(A^l_j) in channel j (other channels 0), take the plain gradient
// down to layer l−1, multiply by A^{l−1} (gradient × activation), sum over space, L1-normalise over channels.
//
// The official code runs one full forward and one full backward to the input per (neuron batch, reference). Here the
// pass is image-major: every distinct input is forwarded once (capturing A^{l−1} and A^l), the sub-network l−1 → l is
// re-run on a tape for a batch of inputs, and the backward is repeated in "rounds": in round r each input of the batch
// is seeded with its r-th neuron (one backward serves as many different neurons as there are inputs, since in eval
// mode the rows of a batch do not interact). Inputs are ordered by how many neurons they serve so rounds stay full.

using System.Diagnostics;
using Unravel.Interpret.Collection;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Pure;

/// <summary>Computes PURE circuit vectors for (neuron, input) pairs.</summary>
public static class Circuits
{
    /// <summary>The L1 normaliser's ε (zennit-crp ChannelConcept.attribute).</summary>
    public const double Epsilon = 1e-10;

    /// <summary>Circuits of all <paramref name="requests"/>, image-major (each input forwarded once).</summary>
    /// <param name="model">The model, in eval mode.</param>
    /// <param name="data">Where the inputs come from.</param>
    /// <param name="layer">Analysed layer l (hook name, channels-first activation [N, C, …]).</param>
    /// <param name="lowerLayer">Layer l−1 (hook name); it must run before <paramref name="layer"/> and feed it.</param>
    /// <param name="requests">Pairs; duplicates are computed once.</param>
    /// <param name="batch">Inputs per forward.</param>
    /// <param name="progress">Inputs done / total.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">Equal layers, a hook name the model lacks (the message lists valid names), a
    /// neuron outside the layer, a rank-1 activation, or a layer that does not depend on the lower layer.</exception>
    public static CircuitResult Compute(RootModule model, ICollectionDataset data, string layer, string lowerLayer,
        IEnumerable<CircuitRequest> requests, int batch = 32, IProgress<CollectionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(requests);
        CheckLayers(layer, lowerLayer);
        if (batch < 1) throw new ArgumentException($"pure: batch {batch} must be at least 1.", nameof(batch));
        var byInput = new Dictionary<long, SortedSet<int>>();
        foreach (CircuitRequest r in requests)
        {
            if (!byInput.TryGetValue(r.Input, out SortedSet<int>? set)) byInput[r.Input] = set = [];
            set.Add(r.Neuron);
        }
        long[] order = byInput.Keys.OrderByDescending(i => byInput[i].Count).ThenBy(i => i).ToArray();
        (Func<Tensor, Tensor> Prefix, Func<Tensor, Tensor> Sub, ResidualBlockBase[] Between)? chain =
            data is ImageDataset ? SubNetwork.TryCreate(model, lowerLayer, layer) : null;
        LinearBlock? block = chain is { } known ? LinearBlock.TryCreate(known.Between) : null;

        var circuits = new Dictionary<CircuitRequest, float[]>();
        var activations = new Dictionary<CircuitRequest, float>();
        var pooled = new Dictionary<long, float[]>();
        int lowerChannels = 0;
        var clock = Stopwatch.StartNew();
        using FrozenWeights frozen = model.FreezeWeights();   // the weights are read only: convolutions pack them once
        for (int start = 0; start < order.Length; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long[] inputs = order[start..Math.Min(order.Length, start + batch)];
            int[][] neurons = inputs.Select(i => byInput[i].ToArray()).ToArray();
            lowerChannels = block is not null
                ? BlockBatch(block, chain!.Value.Prefix(((ImageDataset)data).Gather(inputs)), layer, inputs, neurons, circuits, activations, pooled)
                : Batch(model, data, layer, lowerLayer, chain, inputs, neurons, circuits, activations, pooled);
            int done = start + inputs.Length;
            double rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            progress?.Report(new CollectionProgress(done, order.Length, rate, TimeSpan.FromSeconds((order.Length - done) / Math.Max(rate, 1e-9))));
        }
        return new CircuitResult(layer, lowerLayer, lowerChannels, circuits, activations, pooled, order.Length, chain is not null, clock.Elapsed);
    }

    /// <summary>The slow reference: one full forward and one full backward (down to the input image) for a single
    /// (neuron, input) pair, as the official code does per reference. Used to test and to time the fast pass.</summary>
    /// <param name="backward">How far to differentiate: by default what a plain PyTorch <c>model(x)</c> +
    /// <c>.backward()</c> does (parameter gradients and the input gradient); <see cref="NaiveBackward.LowerLayer"/> is the
    /// fair baseline that starts the tape at the lower layer. The circuit does not depend on it.</param>
    /// <returns>The circuit [C_lower] and the neuron's max activation.</returns>
    /// <exception cref="ArgumentException">As <see cref="Compute"/>; or <paramref name="data"/> is not an image dataset.</exception>
    public static (float[] Circuit, float Activation) ComputeNaive(RootModule model, ImageDataset data, string layer, string lowerLayer,
        CircuitRequest request, NaiveBackward backward = NaiveBackward.Parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        CheckLayers(layer, lowerLayer);
        if (model is not IImageClassifier classifier)
            throw new ModelInputException($"pure: {model.GetType().Name} is not an image classifier.");
        using var tape = new Tape();
        if (backward == NaiveBackward.Parameters)
            foreach (Parameter p in model.TrainableParameters()) tape.Watch(p.Value);
        Tensor image = data.Gather([request.Input]);                                  // [1, C, H, W]
        if (backward != NaiveBackward.LowerLayer) tape.Watch(image);
        // For the fair baseline the lower layer's activation is replaced by a watched copy, so the tape records only
        // the ops between the two layers.
        using IDisposable? start = backward == NaiveBackward.LowerLayer
            ? model.Hooks.Add(lowerLayer, (_, a) => tape.Watch(a.Clone()))
            : null;
        ActivationCache cache = model.RunWithCache(() => classifier.Forward(image), lowerLayer, layer);
        Tensor low = Captured(cache, lowerLayer), up = Captured(cache, layer);
        CheckNeuron(up, request.Neuron, layer);
        Tensor seed = Tensor.Zeros(up.Shape.ToArray());
        int positions = up.Length / up.Dim(1);
        ReadOnlySpan<float> y = up.Data.Slice(request.Neuron * positions, positions);
        Span<float> s = seed.Data.Slice(request.Neuron * positions, positions);
        for (int p = 0; p < positions; p++) s[p] = Math.Max(y[p], 0f);
        GradStore grads = tape.Backward(up, seed);
        float[] circuit = Relevance(low.Data, grads[low] is { } g ? g.Data : new float[low.Length], low.Dim(1), low.Length / low.Dim(1));
        return (circuit, Max(y));
    }

    /// <summary>The analysed layer is one BasicBlock after the lower layer: forward it once, then a hand-written
    /// single-channel backward per pair (<see cref="LinearBlock"/>).</summary>
    private static int BlockBatch(LinearBlock block, Tensor low, string layer, long[] inputs, int[][] neurons,
        Dictionary<CircuitRequest, float[]> circuits, Dictionary<CircuitRequest, float> activations, Dictionary<long, float[]> pooled)
    {
        LinearBlock.State state = block.Forward(low);
        Tensor y = state.Y;                                                            // [n, C, H, W]
        int c = y.Dim(1), positions = y.Length / (inputs.Length * c);
        foreach (int[] list in neurons)
            foreach (int j in list) CheckNeuron(y, j, layer);
        // Rows are independent: spread them over the threads, then file the results in row order.
        var rowCircuits = new float[inputs.Length][][];
        Parallelism.For(inputs.Length, 1, (b0, b1) =>
        {
            for (int b = b0; b < b1; b++)
                rowCircuits[b] = block.Relevance(state, b, neurons[b]).Select(Normalise).ToArray();
        });
        for (int b = 0; b < inputs.Length; b++)
        {
            ReadOnlySpan<float> row = y.Data.Slice(b * c * positions, c * positions);
            pooled[inputs[b]] = PooledRelu(row, c, positions);
            for (int r = 0; r < neurons[b].Length; r++)
            {
                var key = new CircuitRequest(neurons[b][r], inputs[b]);
                circuits[key] = rowCircuits[b][r];
                activations[key] = Max(row.Slice(key.Neuron * positions, positions));
            }
        }
        return low.Dim(1);
    }

    private static int Batch(RootModule model, ICollectionDataset data, string layer, string lowerLayer,
        (Func<Tensor, Tensor> Prefix, Func<Tensor, Tensor> Sub, ResidualBlockBase[] Between)? chain, long[] inputs, int[][] neurons,
        Dictionary<CircuitRequest, float[]> circuits, Dictionary<CircuitRequest, float> activations, Dictionary<long, float[]> pooled)
    {
        // Known chain: images → lower layer without hooks (fused path, nothing after the lower layer), then only the
        // blocks up to the analysed layer on the tape. Otherwise: a hooked full forward, then a replay from the lower layer.
        Tensor low = chain is { } ch ? ch.Prefix(((ImageDataset)data).Gather(inputs))
            : Captured(model.RunWithCache(() => data.Forward(model, inputs), lowerLayer), lowerLayer);   // [n, C', H', W']
        using var tape = new Tape { KeepIntermediateGradients = false };   // only grads[x] is read
        Tensor x = tape.Watch(low.Detach());                                                           // [n, C', H', W']
        Tensor y = chain is { } c2 ? c2.Sub(x) : Replay(model, data, layer, lowerLayer, inputs, x);    // [n, C, H, W]
        if (!y.IsTracked)
            throw new AnalysisException($"pure: layer '{layer}' does not depend on lower layer '{lowerLayer}'; the lower layer must run before it and feed it.");
        if (y.Rank < 2)
            throw new AnalysisException($"pure: activation '{layer}' {y.ShapeString} has no channel axis; need [N, C, …].");
        int n = inputs.Length, c = y.Dim(1), positions = y.Length / (n * c);
        int lowC = low.Dim(1), lowPositions = low.Length / (n * lowC);
        for (int b = 0; b < n; b++)
        {
            foreach (int j in neurons[b]) CheckNeuron(y, j, layer);
            pooled[inputs[b]] = PooledRelu(y.Data.Slice(b * c * positions, c * positions), c, positions);
        }

        int rounds = neurons.Max(list => list.Length);
        int rowY = c * positions, rowX = lowC * lowPositions;
        for (int r = 0; r < rounds; r++)
        {
            Tensor seed = Tensor.Zeros(y.Shape.ToArray());
            for (int b = 0; b < n; b++)
            {
                if (r >= neurons[b].Length) continue;
                int at = b * rowY + neurons[b][r] * positions;
                ReadOnlySpan<float> src = y.Data.Slice(at, positions);
                Span<float> dst = seed.Data.Slice(at, positions);
                for (int p = 0; p < positions; p++) dst[p] = Math.Max(src[p], 0f);
            }
            GradStore grads = tape.Backward(y, seed);
            ReadOnlySpan<float> g = grads[x] is { } gx ? gx.Data : new float[x.Length];
            for (int b = 0; b < n; b++)
            {
                if (r >= neurons[b].Length) continue;
                var key = new CircuitRequest(neurons[b][r], inputs[b]);
                circuits[key] = Relevance(x.Data.Slice(b * rowX, rowX), g.Slice(b * rowX, rowX), lowC, lowPositions);
                activations[key] = Max(y.Data.Slice(b * rowY + key.Neuron * positions, positions));
            }
        }
        return lowC;
    }

    /// <summary>Without a known block chain: the full forward again, with the lower activation replaced by the tracked
    /// copy and the pass stopped right after the analysed layer.</summary>
    private static Tensor Replay(RootModule model, ICollectionDataset data, string layer, string lowerLayer, long[] inputs, Tensor x)
    {
        Tensor? y = null;
        using (model.Hooks.Add(lowerLayer, (_, _) => x))
        using (model.Hooks.Add(layer, (_, t) =>
        {
            y = t;
            throw new StopForward();
        }))
        {
            try
            {
                data.Forward(model, inputs);
            }
            catch (StopForward)
            {
                // Reached the analysed layer: the rest of the network is not needed.
            }
        }
        return y ?? throw new AnalysisException($"pure: hook '{layer}' did not fire.");
    }

    private sealed class StopForward : Exception;

    /// <summary>Σ_p x·g per channel, L1-normalised; accumulated in float64.</summary>
    internal static float[] Relevance(ReadOnlySpan<float> x, ReadOnlySpan<float> g, int channels, int positions)
    {
        var r = new double[channels];
        for (int i = 0; i < channels; i++)
        {
            double s = 0;
            for (int p = 0; p < positions; p++) s += (double)x[i * positions + p] * g[i * positions + p];
            r[i] = s;
        }
        return Normalise(r);
    }

    /// <summary>Divides by the L1 norm plus <see cref="Epsilon"/>.</summary>
    private static float[] Normalise(double[] r)
    {
        int channels = r.Length;
        double l1 = 0;
        foreach (double v in r) l1 += Math.Abs(v);
        var circuit = new float[channels];
        for (int i = 0; i < channels; i++) circuit[i] = (float)(r[i] / (l1 + Epsilon));
        return circuit;
    }

    private static float[] PooledRelu(ReadOnlySpan<float> a, int channels, int positions)
    {
        var v = new float[channels];
        for (int i = 0; i < channels; i++)
        {
            double s = 0;
            for (int p = 0; p < positions; p++) s += Math.Max(a[i * positions + p], 0f);
            v[i] = (float)(s / positions);
        }
        return v;
    }

    private static float Max(ReadOnlySpan<float> values)
    {
        float m = float.NegativeInfinity;
        foreach (float v in values) m = Math.Max(m, v);
        return m;
    }

    private static void CheckLayers(string layer, string lowerLayer)
    {
        ArgumentException.ThrowIfNullOrEmpty(layer);
        ArgumentException.ThrowIfNullOrEmpty(lowerLayer);
        if (layer == lowerLayer)
            throw new AnalysisException($"pure: the lower layer must differ from the analysed layer ('{layer}').");
    }

    private static Tensor Captured(ActivationCache cache, string name)
    {
        if (!cache.TryGet(name, out Tensor? t) || t is null)
            throw new AnalysisException($"pure: hook '{name}' did not fire during the forward pass.");
        if (t.Rank < 2)
            throw new AnalysisException($"pure: activation '{name}' {t.ShapeString} has no channel axis; need [N, C, …].");
        return t;
    }

    private static void CheckNeuron(Tensor up, int neuron, string layer)
    {
        if ((uint)neuron >= (uint)up.Dim(1))
            throw new AnalysisException($"pure: neuron {neuron} is outside layer '{layer}' (0 … {up.Dim(1) - 1}).");
    }
}
