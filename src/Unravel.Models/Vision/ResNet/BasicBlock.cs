// torchvision's BasicBlock (ResNet-18/34): relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
// torchvision applies one ReLU module twice, so it has no per-ReLU module path; the activations are exposed as
// hook points instead: "<block>.hook_relu1" (after bn1 + ReLU), "<block>.hook_add" (branch + shortcut, before the
// last ReLU) and "<block>" (the block output, after the last ReLU).
// Reference: He et al. 2015, https://arxiv.org/abs/1512.03385; torchvision/models/resnet.py.

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>Two 3×3 convolutions with batch norm and an identity or projection shortcut.</summary>
public sealed class BasicBlock : ResidualBlockBase
{
    /// <param name="ws">The block's cursor, e.g. "layer2.0".</param>
    /// <param name="inChannels">Channels in.</param>
    /// <param name="planes">Channels out (expansion 1).</param>
    /// <param name="stride">Stride of conv1 and of the projection shortcut.</param>
    /// <param name="batchNorm">torchvision always has it; without it (small CNNs) each convolution carries a bias.</param>
    public BasicBlock(WeightSource ws, int inChannels, int planes, int stride = 1, bool batchNorm = true) : base(ws)
    {
        Conv1 = Child(Conv2d.Create(ws.At("conv1"), inChannels, planes, kernel: 3, stride: stride, padding: 1, bias: !batchNorm));
        Bn1 = batchNorm ? Child(new BatchNorm2d(ws.At("bn1"), planes)) : null;
        Conv2 = Child(Conv2d.Create(ws.At("conv2"), planes, planes, kernel: 3, padding: 1, bias: !batchNorm));
        Bn2 = batchNorm ? Child(new BatchNorm2d(ws.At("bn2"), planes)) : null;
        Shortcut = stride != 1 || inChannels != planes
            ? Child(new Downsample(ws.At("downsample"), inChannels, planes, stride, batchNorm))
            : null;
        OutChannels = planes;
    }

    public Conv2d Conv1 { get; }
    public BatchNorm2d? Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d? Bn2 { get; }

    /// <summary>"downsample", or null for an identity shortcut.</summary>
    public Downsample? Shortcut { get; }

    public override int OutChannels { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_relu1", "hook_add"];

    public override Tensor Forward(Tensor x, bool consumeInput) // [N, C, H, W]
    {
        if (Bn1 is not null && Bn2 is not null && ConvBnAct.CanFuse(this, x))
        {
            // Nothing observes the intermediates: conv-bn-relu, and conv-bn-add-relu, each as one fused op; the second
            // writes over its residual where that is ours to give up (the downsample's output, or x).
            Tensor r = ConvBnAct.Forward(Conv1, Bn1, x, relu: true);                                 // [N, P, H/s, W/s]
            return FusedResidualSum(Conv2, Bn2, r, Shortcut, x, consumeInput);                       // [N, P, H/s, W/s]
        }
        Tensor h = Conv1.Forward(x);                                  // [N, P, H/s, W/s]
        if (Bn1 is not null) h = Bn1.Forward(h);                      // [N, P, H/s, W/s]
        h = Hook("hook_relu1", Ops.Relu(h));                          // [N, P, H/s, W/s]
        h = Conv2.Forward(h);                                         // [N, P, H/s, W/s]
        if (Bn2 is not null) h = Bn2.Forward(h);                      // [N, P, H/s, W/s]
        Tensor identity = Shortcut is null ? x : Shortcut.Forward(x); // [N, P, H/s, W/s]
        Tensor sum = Hook("hook_add", h + identity);                  // [N, P, H/s, W/s]
        return Output(Ops.Relu(sum));                                 // [N, P, H/s, W/s]
    }
}
