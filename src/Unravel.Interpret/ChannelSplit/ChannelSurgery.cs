// The weight surgery of channel splitting (Hesse, Fischer, Schaub-Meyer, Roth 2025, "Disentangling Polysemantic Channels
// in Convolutional Neural Networks", arXiv 2504.12939). Channel c of a convolution W [O, C/g, K, K] becomes three
// rows of an expanded convolution E [O+2, C, K, K]: row c keeps the inputs of concept 1 and the shared ones (concept 1),
// row O those of concept 2 and the shared ones (concept 2), row O+1 only the shared ones (overlap); each copies b_c. A 1×1
// merge M [O, O+2] (identity, plus M[c, O] = +1, M[c, O+1] = −1) restores a_c = d1 + d2 − r, so the network computes the
// same function. The merge sits inside the convolution's path, so it comes before whatever followed the conv (BatchNorm
// in ResNet blocks, ReLU in VGG and plain small CNNs). Stride, padding and dilation carry over; a grouped conv's
// expansion is written dense (zeros outside each row's group), because O+2 rows do not divide into the groups.

using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Builds the split model: a new model object; the original is never modified.</summary>
public static class ChannelSurgery
{
    /// <summary>The state dict of the split model: the original's tensors (copied), with "&lt;layer&gt;.weight" and
    /// "&lt;layer&gt;.bias" replaced by "&lt;layer&gt;.0.weight" [O+2, C, K, K], "&lt;layer&gt;.0.bias" [O+2] and
    /// "&lt;layer&gt;.1.weight" [O, O+2, 1, 1] (PyTorch's nn.Sequential(expanded, merge) at the layer's path).</summary>
    /// <param name="model">The original model.</param>
    /// <param name="layer">A Conv2d path.</param>
    /// <param name="channel">Channel c to split.</param>
    /// <param name="mask">[C_in] from <see cref="SplitMask.Partition"/>.</param>
    /// <exception cref="UnravelException">The layer is not a convolution, the channel is out of range or the mask length differs.</exception>
    public static Dictionary<string, Tensor> SplitStateDict(RootModule model, string layer, int channel, ReadOnlySpan<byte> mask)
    {
        Conv2d conv = ConvProbe.Resolve(model, layer);
        int o = conv.OutChannels, cIn = conv.InChannels, kk = conv.Kernel * conv.Kernel, groups = conv.Options.Groups;
        if ((uint)channel >= (uint)o)
            throw new AnalysisException($"channel split: channel {channel} is out of range for '{layer}' ({o} channels).");
        if (mask.Length != cIn)
            throw new AnalysisException($"channel split: mask has {mask.Length} entries, '{layer}' has {cIn} input channels.");
        int cg = cIn / groups, og = o / groups, rows = o + SplitConv2d.ExtraChannels;

        ReadOnlySpan<float> w = conv.W.Value.Data;
        var e = Tensor.Zeros(rows, cIn, conv.Kernel, conv.Kernel);
        Span<float> ed = e.Data;
        for (int r = 0; r < o; r++)
        {
            int firstIn = r / og * cg;
            w.Slice(r * cg * kk, cg * kk).CopyTo(ed.Slice((r * cIn + firstIn) * kk, cg * kk));
        }
        int cFirst = channel / og * cg;
        for (int j = 0; j < cg; j++)
        {
            byte m = mask[cFirst + j];
            ReadOnlySpan<float> wc = w.Slice((channel * cg + j) * kk, kk);
            if (m == SplitMask.Concept2) ed.Slice((channel * cIn + cFirst + j) * kk, kk).Clear();
            if (m != SplitMask.Concept1) wc.CopyTo(ed.Slice((o * cIn + cFirst + j) * kk, kk));
            if (m == SplitMask.Shared) wc.CopyTo(ed.Slice(((o + 1) * cIn + cFirst + j) * kk, kk));
        }

        var merge = Tensor.Zeros(o, rows, 1, 1);
        for (int r = 0; r < o; r++) merge.Data[r * rows + r] = 1f;
        merge.Data[channel * rows + o] = 1f;
        merge.Data[channel * rows + o + 1] = -1f;

        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach ((string key, Tensor value) in model.StateDict())
            if (key != conv.W.Path && key != conv.B?.Path) state[key] = value.Clone();
        state[layer + ".0.weight"] = e;
        if (conv.B is { } bias)
        {
            var eb = Tensor.Zeros(rows);
            bias.Value.Data.CopyTo(eb.Data);
            eb.Data[o] = eb.Data[o + 1] = bias.Value.Data[channel];
            state[layer + ".0.bias"] = eb;
        }
        state[layer + ".1.weight"] = merge;
        return state;
    }

    /// <summary>A new model with channel <paramref name="channel"/> of <paramref name="layer"/> split by <paramref name="mask"/>.</summary>
    /// <param name="model">The original model; not modified.</param>
    /// <param name="create">Builds the same architecture from a weight source (the registry entry's Create).</param>
    /// <param name="layer">A Conv2d path.</param>
    /// <param name="channel">Channel c.</param>
    /// <param name="mask">[C_in] from <see cref="SplitMask.Partition"/>.</param>
    /// <returns>The split model (eval mode); its layer is a <see cref="SplitConv2d"/> with hook point "&lt;layer&gt;.hook_split".</returns>
    /// <exception cref="UnravelException">As <see cref="SplitStateDict"/>.</exception>
    public static RootModule Split(RootModule model, Func<WeightSource, RootModule> create, string layer, int channel, ReadOnlySpan<byte> mask)
    {
        ArgumentNullException.ThrowIfNull(create);
        Dictionary<string, Tensor> state = SplitStateDict(model, layer, channel, mask);
        WeightSource ws = WeightSource.FromTensors(state, $"split of '{layer}' channel {channel}");
        RootModule edited = create(ws);
        ws.Complete();
        if (model is IImageClassifier source && edited is IImageClassifier target) target.ClassNames = source.ClassNames;
        edited.Eval();
        return edited;
    }
}
