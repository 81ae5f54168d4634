// Neuron embeddings of transformer MLP neurons (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings",
// arXiv 2411.08166, §3.1 eq. 1-2): for each characteristic example of neuron j, e = h ⊙ w_j with h the pre-MLP
// vector at the key token. One second pass runs the model over only the inputs the examples name, capturing the hook
// the variant reads and the pre-activation. The variants (EmbeddingVariant) follow TransformerLens's LayerNorm folding
// (weight_processing.py fold_layer_norm: W_in scaled by γ, b_in += β·W_in, then W_in centred over C), since
// Σ_c x̂_c = 0 makes the centring leave the pre-activation unchanged. Letters: T positions, C width, F neurons.

using Unravel.Interpret.Collection;
using Unravel.Models;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Computes neuron embeddings from characteristic examples.</summary>
public static class NeuronEmbedder
{
    /// <summary>Embeds the examples of <paramref name="neurons"/> (null: all) of MLP layer <paramref name="layer"/>.</summary>
    /// <param name="model">A model that is both an <see cref="ITransformerMlpModel"/> and accepts the dataset.</param>
    /// <param name="dataset">The inputs the examples index.</param>
    /// <param name="layer">Block index.</param>
    /// <param name="examples">The layer's characteristic examples (from its activation hook).</param>
    /// <param name="variant">Which h and w.</param>
    /// <param name="neurons">Neurons to embed, or null for every neuron with at least one example.</param>
    /// <param name="batchSize">Inputs per forward pass.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">The model has no transformer MLP, the layer or a neuron is out of range, or
    /// the example set belongs to a layer of another width.</exception>
    public static LayerEmbeddings Compute(RootModule model, ICollectionDataset dataset, int layer, CharacteristicExampleSet examples,
        EmbeddingVariant variant, IReadOnlyList<int>? neurons = null, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(examples);
        if (model is not ITransformerMlpModel mlpModel)
            throw new ArgumentException($"embed: {model.GetType().Name} has no transformer MLP layers (ITransformerMlpModel); neuron embeddings of this kind need one.", nameof(model));
        if ((uint)layer >= (uint)mlpModel.MlpLayerCount)
            throw new ArgumentException($"embed: layer {layer} is outside 0 … {mlpModel.MlpLayerCount - 1}.", nameof(layer));
        if (!Enum.IsDefined(variant)) throw new ArgumentException($"embed: unknown variant {(int)variant}.", nameof(variant));
        if (batchSize < 1) throw new ArgumentException($"embed: batch size {batchSize} must be at least 1.", nameof(batchSize));
        TransformerMlp mlp = mlpModel.MlpLayer(layer);
        int c = mlp.Width, f = mlp.Neurons;
        if (examples.Neurons != f)
            throw new ArgumentException($"embed: the examples cover {examples.Neurons} neurons but layer {layer}'s MLP has {f}; collect {mlp.ActivationHook}.", nameof(examples));
        int[] chosen = neurons?.ToArray() ?? Enumerable.Range(0, f).Where(j => examples.Examples[j].Length > 0).ToArray();
        foreach (int j in chosen)
            if ((uint)j >= (uint)f) throw new ArgumentException($"embed: neuron {j} is outside 0 … {f - 1} of layer {layer}.", nameof(neurons));

        string hHook = variant switch
        {
            EmbeddingVariant.TransformerLens => mlp.NormalizedHook,
            EmbeddingVariant.HuggingFace => mlp.InputHook,
            _ => mlp.ResidualHook,
        };
        float[] w = mlp.InputWeight.ToArray(), bIn = mlp.InputBias.ToArray(), gamma = mlp.NormWeight.ToArray(), beta = mlp.NormBias.ToArray();
        var sets = new (float[] W, float B, float[] E, float[] H, float[] Pre)[chosen.Length];
        for (int s = 0; s < chosen.Length; s++)
        {
            int j = chosen[s];
            (float[] wj, float bj) = Weights(w.AsSpan(j * c, c), bIn[j], gamma, beta, variant);
            int n = examples.Examples[j].Length;
            sets[s] = (wj, bj, new float[n * c], new float[n * c], new float[n]);
        }

        // Which (set, example) rows each input feeds.
        var byInput = new SortedDictionary<long, List<(int Set, int Row)>>();
        for (int s = 0; s < chosen.Length; s++)
        {
            CharacteristicExample[] ex = examples.Examples[chosen[s]];
            for (int k = 0; k < ex.Length; k++)
            {
                if (!byInput.TryGetValue(ex[k].Input, out List<(int, int)>? rows)) byInput[ex[k].Input] = rows = [];
                rows.Add((s, k));
            }
        }
        long[] inputs = [.. byInput.Keys];
        for (int start = 0; start < inputs.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long[] batch = inputs[start..Math.Min(inputs.Length, start + batchSize)];
            ActivationCache cache = model.RunWithCache(() => Forward(model, mlpModel, dataset, batch, layer), hHook, mlp.PreActivationHook);
            Tensor hAll = cache[hHook], preAll = cache[mlp.PreActivationHook];   // [B, T, C], [B, T, F]
            int t = hAll.Dim(1);
            ReadOnlySpan<float> h = hAll.Data, pre = preAll.Data;
            for (int i = 0; i < batch.Length; i++)
                foreach ((int s, int k) in byInput[batch[i]])
                {
                    int j = chosen[s], p = examples.Examples[j][k].Position;
                    ReadOnlySpan<float> hv = h.Slice((i * t + p) * c, c);
                    (float[] wj, _, float[] e, float[] hOut, float[] preOut) = sets[s];
                    hv.CopyTo(hOut.AsSpan(k * c, c));
                    for (int d = 0; d < c; d++) e[k * c + d] = hv[d] * wj[d];
                    preOut[k] = pre[(i * t + p) * f + j];
                }
        }
        var result = new NeuronEmbeddingSet[chosen.Length];
        for (int s = 0; s < chosen.Length; s++)
            result[s] = new NeuronEmbeddingSet(chosen[s], examples.Examples[chosen[s]], sets[s].E, sets[s].H, sets[s].W, sets[s].B, sets[s].Pre);
        return new LayerEmbeddings(layer, variant, examples.Selection, result);
    }

    /// <summary>Token windows run only through the layer (the head of a language model is not needed); other data as
    /// the dataset runs it.</summary>
    private static Tensor Forward(RootModule model, ITransformerMlpModel mlpModel, ICollectionDataset dataset, long[] inputs, int layer)
    {
        if (dataset is not TokenWindowDataset text) return dataset.Forward(model, inputs);
        var tokens = new int[inputs.Length * text.Length];
        for (int i = 0; i < inputs.Length; i++) text.Window(inputs[i]).CopyTo(tokens.AsSpan(i * text.Length));
        return mlpModel.ForwardThroughLayer(tokens, inputs.Length, text.Length, layer);
    }

    /// <summary>The weights w and bias b' of neuron j under <paramref name="variant"/>.</summary>
    /// <remarks>Effectively computes, TransformerLens and residual: w' = γ ⊙ W_j − mean(γ ⊙ W_j), b' = b_j + β · W_j;
    /// Hugging Face: w = W_j, b' = b_j. Sums in float64.</remarks>
    public static (float[] Weights, float Bias) Weights(ReadOnlySpan<float> inputWeights, float bias, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, EmbeddingVariant variant)
    {
        int c = inputWeights.Length;
        var wj = new float[c];
        if (variant == EmbeddingVariant.HuggingFace)
        {
            inputWeights.CopyTo(wj);
            return (wj, bias);
        }
        double mean = 0, folded = bias;
        for (int d = 0; d < c; d++)
        {
            mean += (double)gamma[d] * inputWeights[d];
            folded += (double)beta[d] * inputWeights[d];
        }
        mean /= c;
        for (int d = 0; d < c; d++) wj[d] = (float)((double)gamma[d] * inputWeights[d] - mean);
        return (wj, (float)folded);
    }
}
