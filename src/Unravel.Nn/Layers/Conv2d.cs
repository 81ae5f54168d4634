// 2-D convolution layer, PyTorch layout: weight [O, C/groups, KH, KW], bias [O].

namespace Unravel.Nn.Layers;

/// <summary>torch.nn.Conv2d.</summary>
public sealed class Conv2d : Module
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

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public Conv2dOptions Options { get; }

    /// <summary>[O, C/groups, K, K].</summary>
    public Parameter W { get; }

    public Parameter? B { get; }

    public Tensor Forward(Tensor x) => Output(Own(Ops.Conv2d(x, W.Value, B?.Value, Options))); // [N, C, H, W] → [N, O, H', W']
}
