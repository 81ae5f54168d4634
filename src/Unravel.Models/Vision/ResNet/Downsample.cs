// The projection shortcut of a residual block: torchvision's `downsample = Sequential(conv1x1(stride), BatchNorm2d)`,
// keys "downsample.0.weight" and "downsample.1.*".

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>1×1 strided convolution followed by batch norm, matching the shape of a block's residual branch.</summary>
public sealed class Downsample : Module
{
    /// <param name="batchNorm">torchvision always has it; without it (small CNNs) the convolution carries a bias.</param>
    public Downsample(WeightSource ws, int inChannels, int outChannels, int stride, bool batchNorm = true) : base(ws)
    {
        Conv = Child(new Conv2d(ws.At(0), inChannels, outChannels, kernel: 1, stride: stride, bias: !batchNorm));
        Bn = batchNorm ? Child(new BatchNorm2d(ws.At(1), outChannels)) : null;
    }

    /// <summary>"downsample.0".</summary>
    public Conv2d Conv { get; }

    /// <summary>"downsample.1", or null without batch norm.</summary>
    public BatchNorm2d? Bn { get; }

    public Tensor Forward(Tensor x)
    {
        Tensor y = Conv.Forward(x);       // [N, C', H/s, W/s]
        if (Bn is not null) y = Bn.Forward(y); // [N, C', H/s, W/s]
        return Output(y);
    }
}
