// 2-D convolution layer, PyTorch layout: weight [O, C/groups, KH, KW], bias [O]. Model code builds it through Create,
// which returns a SplitConv2d where the checkpoint holds a split channel (channel splitting, Hesse et al. 2025).

namespace Unravel.Nn.Layers;

/// <summary>torch.nn.Conv2d.</summary>
public class Conv2d : Module
{
    public Conv2d(WeightSource ws, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1, bool bias = true) : base(ws)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d {ws.Prefix}: channels {inChannels}→{outChannels} not divisible by groups {groups}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        Options = new Conv2dOptions { Stride = (stride, stride), Padding = (padding, padding), Dilation = (dilation, dilation), Groups = groups };
        Kernel = kernel;
        int fanIn = inChannels / groups * kernel * kernel;
        W = Weight(ws, "weight", [outChannels, inChannels / groups, kernel, kernel], Init.TorchDefault(fanIn));
        B = bias ? Weight(ws, "bias", [outChannels], Init.TorchDefault(fanIn)) : null;
    }

    /// <summary>For <see cref="SplitConv2d"/>: the geometry of the original convolution with its effective weights,
    /// which are views for code that treats the layer as one convolution and are not registered as parameters.</summary>
    private protected Conv2d(WeightSource ws, int inChannels, int outChannels, int kernel, Conv2dOptions options,
        Parameter weight, Parameter? bias) : base(ws)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        Options = options;
        Kernel = kernel;
        W = weight;
        B = bias;
    }

    /// <summary>A <see cref="Conv2d"/>, or a <see cref="SplitConv2d"/> when the checkpoint behind <paramref name="ws"/>
    /// stores a split convolution at this path ("&lt;path&gt;.0.weight" and "&lt;path&gt;.1.weight" instead of
    /// "&lt;path&gt;.weight").</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by the groups, or the split tensors are malformed.</exception>
    public static Conv2d Create(WeightSource ws, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(ws);
        return SplitConv2d.IsStoredAt(ws)
            ? new SplitConv2d(ws, inChannels, outChannels, kernel, stride, padding, dilation, groups, bias)
            : new Conv2d(ws, inChannels, outChannels, kernel, stride, padding, dilation, groups, bias);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public Conv2dOptions Options { get; }

    /// <summary>[O, C/groups, K, K].</summary>
    public Parameter W { get; }

    public Parameter? B { get; }

    public virtual Tensor Forward(Tensor x) => Output(Own(Ops.Conv2d(x, W.Value, B?.Value, Options))); // [N, C, H, W] → [N, O, H', W']
}
