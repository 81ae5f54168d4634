// The block of the plain small CNN: relu(bn1(conv1(x))) with no shortcut, named like the first half of a
// torchvision BasicBlock ("layer2.0.conv1", "layer2.0.bn1") so that name-based LRP maps and canonizers apply.

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>One 3×3 convolution, optional batch norm, ReLU; the block output is the hook point "&lt;block&gt;".</summary>
public sealed class PlainBlock : ResidualBlockBase
{
    /// <param name="ws">The block's cursor, e.g. "layer2.0".</param>
    /// <param name="inChannels">Channels in.</param>
    /// <param name="planes">Channels out.</param>
    /// <param name="stride">Stride of the convolution.</param>
    /// <param name="batchNorm">With batch norm, or with a convolution bias instead.</param>
    public PlainBlock(WeightSource ws, int inChannels, int planes, int stride = 1, bool batchNorm = true) : base(ws)
    {
        Conv1 = Child(Conv2d.Create(ws.At("conv1"), inChannels, planes, kernel: 3, stride: stride, padding: 1, bias: !batchNorm));
        Bn1 = batchNorm ? Child(new BatchNorm2d(ws.At("bn1"), planes)) : null;
        OutChannels = planes;
    }

    public Conv2d Conv1 { get; }
    public BatchNorm2d? Bn1 { get; }

    public override int OutChannels { get; }

    /// <remarks>No residual: <paramref name="consumeInput"/> changes nothing.</remarks>
    public override Tensor Forward(Tensor x, bool consumeInput) // [N, C, H, W]
    {
        Tensor h = Conv1.Forward(x);             // [N, P, H/s, W/s]
        if (Bn1 is not null) h = Bn1.Forward(h); // [N, P, H/s, W/s]
        return Output(Ops.Relu(h));              // [N, P, H/s, W/s]
    }
}
