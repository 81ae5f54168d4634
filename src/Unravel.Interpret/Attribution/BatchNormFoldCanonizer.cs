// Folds an eval-mode batch norm into the convolution before it (zennit SequentialMergeBatchNorm):
// s = γ / √(var + eps), W' = W · s (per output channel), b' = b · s + (β − mean · s), rounded as the batch norm's own eval
// forward (BatchNorm2d.EvalAffine). The convolution's rule then sees the true pre-activation z = BN(conv(x)) and the
// batch norm passes relevance through unchanged. Found on the graph (a BN node whose input is produced by a convolution
// read by nothing else), so module registration order does not matter.

using Unravel.Interpret.Attribution.Rules;
using Unravel.Models.Onnx;
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
            if (n is { Op: "batch_norm2d", Owner: OnnxBatchNormNode onnxBn }
                && graph.ProducerOf(n.Inputs[0]) is { Op: "conv2d", Owner: OnnxAffineNode { Convolution: { } options } onnxConv } oc
                && graph.ConsumerCount(oc.Output) == 1)
            {
                graph.SetLayer(oc, Fold(onnxConv.Name, oc.Inputs[1], oc.Inputs.Count > 2 ? oc.Inputs[2] : null, options,
                    n.Inputs[1], n.Inputs[2], onnxBn.RunningMean, onnxBn.RunningVar, onnxBn.Eps));
                graph.SetRule(n, new PassRule());
                continue;
            }
            if (n.Op != "batch_norm2d" || n.Owner is not BatchNorm2d { Training: false } bn) continue;
            if (graph.ProducerOf(n.Inputs[0]) is not { Op: "conv2d", Owner: Conv2d conv } c || graph.ConsumerCount(c.Output) != 1) continue;
            graph.SetLayer(c, Fold(conv, bn));
            graph.SetRule(n, new PassRule());
        }
    }

    /// <summary>The convolution with <paramref name="bn"/> folded in (new tensors; the model is untouched).</summary>
    /// <remarks>Effectively computes W'[o] = W[o]·s[o], b'[o] = b[o]·s[o] + t[o] with the layer's eval affine s = γ/√(var + eps),
    /// t = β − mean·s (<see cref="BatchNorm2d.EvalAffine()"/>).</remarks>
    public static AffineLayer Fold(Conv2d conv, BatchNorm2d bn)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(bn);
        if (bn.Channels != conv.OutChannels)
            throw new ArgumentException($"batch-norm fold: {bn.Path} has {bn.Channels} channels but {conv.Path} outputs {conv.OutChannels}.");
        return Fold(conv.Path, conv.W.Value, conv.B?.Value, conv.Options, bn.W.Value, bn.B.Value, bn.RunningMean.Value, bn.RunningVar.Value, bn.Eps);
    }

    /// <summary>A convolution (weight [O, ...], bias [O] or null) with a batch norm (γ, β, mean, var: [O]) folded in.</summary>
    /// <remarks>Effectively computes W'[o] = W[o]·s[o], b'[o] = b[o]·s[o] + (β[o] − mean[o]·s[o]), s = γ/√(var + eps).</remarks>
    public static AffineLayer Fold(string name, Tensor weight, Tensor? bias, Conv2dOptions options, Tensor gamma, Tensor beta, Tensor mean,
        Tensor variance, float eps)
    {
        ArgumentNullException.ThrowIfNull(weight);
        int o = weight.Dim(0);
        Tensor w = weight.Detach().Clone();
        var b = new float[o];
        int per = w.Length / o;
        (float[] scale, float[] shift) = BatchNorm2d.EvalAffine(gamma.Data, beta.Data, mean.Data, variance.Data, eps);
        for (int ch = 0; ch < o; ch++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(w.Data.Slice(ch * per, per), scale[ch], w.Data.Slice(ch * per, per));
            float b0 = bias is null ? 0f : bias.Data[ch];
            b[ch] = b0 * scale[ch] + shift[ch];
        }
        return new AffineLayer(name, w, Tensor.FromArray(b), options);
    }
}
