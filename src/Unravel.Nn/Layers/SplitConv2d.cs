// A convolution with one output channel split into a concept-1, a concept-2 and an overlap channel, followed by a 1×1
// merge that restores the original channel (channel splitting: Hesse, Fischer, Schaub-Meyer, Roth 2025, "Disentangling
// Polysemantic Channels in Convolutional Neural Networks", arXiv 2504.12939, the weight surgery). It is
// PyTorch's nn.Sequential(expanded conv, merge conv) at the original conv's path: keys "<path>.0.weight" [O+2, C, K, K]
// (and "<path>.0.bias"), "<path>.1.weight" [O, O+2, 1, 1]. A grouped convolution's expansion is stored dense (one group,
// zeros outside the split channel's group), because O+2 rows cannot be divided into the original groups.

namespace Unravel.Nn.Layers;

/// <summary>Expanded convolution (O+2 rows) → hook point "&lt;path&gt;.hook_split" → 1×1 merge (O rows).</summary>
/// <remarks>In the expanded output, channel <see cref="Channel"/> is the concept-1 channel, channel O the concept-2 channel
/// and channel O+1 the overlap channel; the merge computes a_c = d1 + d2 − r and passes the others through. <see cref="Conv2d.W"/>
/// and <see cref="Conv2d.B"/> hold the merged (effective) weights, exactly equal to the original ones, for code that treats
/// the layer as one convolution; they are not parameters of the model and are never trained.</remarks>
public sealed class SplitConv2d : Conv2d
{
    /// <summary>Expanded output channels added by the split: concept 2 and overlap.</summary>
    public const int ExtraChannels = 2;

    /// <summary>The hook point of the expanded output, [N, O+2, H', W'].</summary>
    public const string HookPoint = "hook_split";

    internal SplitConv2d(WeightSource ws, int inChannels, int outChannels, int kernel, int stride, int padding, int dilation,
        int groups, bool bias)
        : this(ws, inChannels, outChannels, kernel,
            new Conv2dOptions { Stride = (stride, stride), Padding = (padding, padding), Dilation = (dilation, dilation), Groups = groups },
            Build(ws, inChannels, outChannels, kernel, stride, padding, dilation, groups, bias))
    {
    }

    private SplitConv2d(WeightSource ws, int inChannels, int outChannels, int kernel, Conv2dOptions options,
        (Conv2d Expanded, Conv2d Merge, int Channel, Parameter W, Parameter? B) parts)
        : base(ws, inChannels, outChannels, kernel, options, parts.W, parts.B)
    {
        Expanded = Child(parts.Expanded);
        Merge = Child(parts.Merge);
        Channel = parts.Channel;
    }

    /// <summary>"&lt;path&gt;.0": O+2 output channels, one group.</summary>
    public Conv2d Expanded { get; }

    /// <summary>"&lt;path&gt;.1": 1×1, O+2 → O, no bias.</summary>
    public Conv2d Merge { get; }

    /// <summary>The split channel c (its concept-1 row keeps index c).</summary>
    public int Channel { get; }

    protected override IEnumerable<string> InternalHookPoints => [HookPoint];

    /// <summary>True when the checkpoint behind <paramref name="ws"/> stores a split convolution at its prefix.</summary>
    public static bool IsStoredAt(WeightSource ws)
    {
        ArgumentNullException.ThrowIfNull(ws);
        return ws.IsLoading && !ws.Has("weight") && ws.Has("0.weight") && ws.Has("1.weight");
    }

    public override Tensor Forward(Tensor x) // [N, C, H, W]
    {
        Tensor e = Hook(HookPoint, Expanded.Forward(x)); // [N, O+2, H', W']
        return Output(Merge.Forward(e));                 // [N, O, H', W']
    }

    private static (Conv2d, Conv2d, int, Parameter, Parameter?) Build(WeightSource ws, int inChannels, int outChannels,
        int kernel, int stride, int padding, int dilation, int groups, bool bias)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d {ws.Prefix}: channels {inChannels}→{outChannels} not divisible by groups {groups}.");
        var expanded = new Conv2d(ws.At("0"), inChannels, outChannels + ExtraChannels, kernel, stride, padding, dilation, 1, bias);
        var merge = new Conv2d(ws.At("1"), outChannels + ExtraChannels, outChannels, 1, bias: false);
        int channel = FindChannel(ws.Prefix, merge.W.Value.Data, outChannels);

        // Effective weights W[o] = Σ_m M[o, m]·E[m], restricted to o's input group. With the split's merge (identity plus
        // +1, −1 on row c) every entry is exact: E[o] + 0 terms, or d1 + d2 − r = w + w − w (or w + 0 − 0) for row c.
        int cols = outChannels + ExtraChannels, cg = inChannels / groups, og = outChannels / groups, kk = kernel * kernel;
        ReadOnlySpan<float> e = expanded.W.Value.Data, m = merge.W.Value.Data;
        var w = Tensor.Zeros(outChannels, cg, kernel, kernel);
        Span<float> wd = w.Data;
        Tensor? b = bias ? Tensor.Zeros(outChannels) : null;
        for (int o = 0; o < outChannels; o++)
        {
            int firstIn = o / og * cg;
            for (int j = 0; j < cols; j++)
            {
                float mij = m[o * cols + j];
                if (mij == 0f) continue;
                for (int i = 0; i < cg; i++)
                    for (int k = 0; k < kk; k++)
                        wd[(o * cg + i) * kk + k] += mij * e[(j * inChannels + firstIn + i) * kk + k];
                if (b is not null) b.Data[o] += mij * expanded.B!.Value.Data[j];
            }
        }
        return (expanded, merge, channel, new Parameter(ws.Key("weight"), w, isBuffer: false),
            b is null ? null : new Parameter(ws.Key("bias"), b, isBuffer: false));
    }

    /// <summary>The row of the merge that reads the concept-2 column O.</summary>
    private static int FindChannel(string path, ReadOnlySpan<float> m, int outChannels)
    {
        int cols = outChannels + ExtraChannels, found = -1;
        for (int o = 0; o < outChannels; o++)
        {
            if (m[o * cols + outChannels] == 0f) continue;
            if (found >= 0)
                throw new ArgumentException($"split conv {path}: merge rows {found} and {o} both read the concept-2 channel; "
                    + "a split checkpoint has exactly one split channel per convolution.");
            found = o;
        }
        return found >= 0 ? found
            : throw new ArgumentException($"split conv {path}: no merge row reads the concept-2 channel {outChannels}; "
                + "HINT: '<path>.1.weight' must be the merge written by the channel split.");
    }
}
