// Folds an eval-mode batch norm into the convolution before it (zennit SequentialMergeBatchNorm):
// s = γ / √(var + eps), W' = W · s (per output channel), b' = b · s + (β − mean · s), rounded as the batch norm's own eval
// forward (BatchNorm2d.EvalAffine). The convolution's rule then sees the true pre-activation z = BN(conv(x)) and the
// batch norm passes relevance through unchanged. Found on the graph (a BN node whose input is produced by a convolution
// read by nothing else), so module registration order does not matter.

using Unravel.Interpret.Attribution.Rules;
using Unravel.Nn.Layers;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Attribution;

/// <summary>Batch-norm folding into the preceding convolution.</summary>
public sealed class BatchNormFoldCanonizer : ICanonizer
{
    public string Name => "batchnorm-fold";

    /// <inheritdoc/>
    public void Apply(LrpGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        foreach (Node n in graph.Nodes)
        {
            if (n.Op != "batch_norm2d" || n.Owner is not BatchNorm2d { Training: false } bn) continue;
            if (graph.ProducerOf(n.Inputs[0]) is not { Op: "conv2d", Owner: Conv2d conv } c || graph.ConsumerCount(c.Output) != 1) continue;
            graph.SetLayer(c, Fold(conv, bn));
            graph.SetRule(n, new PassRule());
        }
    }

    /// <summary>The convolution with <paramref name="bn"/> folded in (new tensors; the model is untouched).</summary>
    /// <remarks>Effectively computes W'[o] = W[o]·s[o], b'[o] = b[o]·s[o] + t[o] with the layer's eval affine s = γ/√(var + eps),
    /// t = β − mean·s (<see cref="BatchNorm2d.EvalAffine"/>).</remarks>
    public static AffineLayer Fold(Conv2d conv, BatchNorm2d bn)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(bn);
        int o = conv.OutChannels;
        if (bn.Channels != o)
            throw new ArgumentException($"batch-norm fold: {bn.Path} has {bn.Channels} channels but {conv.Path} outputs {o}.");
        Tensor w = conv.W.Value.Clone();
        var b = new float[o];
        int per = w.Length / o;
        (float[] scale, float[] shift) = bn.EvalAffine();
        for (int ch = 0; ch < o; ch++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(w.Data.Slice(ch * per, per), scale[ch], w.Data.Slice(ch * per, per));
            float b0 = conv.B is null ? 0f : conv.B.Value.Data[ch];
            b[ch] = b0 * scale[ch] + shift[ch];
        }
        return new AffineLayer(conv.Path, w, Tensor.FromArray(b), conv.Options);
    }
}
