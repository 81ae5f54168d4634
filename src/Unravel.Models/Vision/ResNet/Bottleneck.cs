// torchvision's Bottleneck (ResNet-50/101/152), v1.5: the stride sits on the 3×3 convolution (conv2), not on the
// first 1×1 as in the original paper. relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)).
// Hook points: "<block>.hook_relu1", "<block>.hook_relu2" (after bn1/bn2 + ReLU), "<block>.hook_add" (before the last
// ReLU) and "<block>" (the block output); torchvision's single reused ReLU module has no path of its own here.
// Reference: He et al. 2015, https://arxiv.org/abs/1512.03385; torchvision/models/resnet.py; ResNeXt groups:
// Xie et al. 2016, https://arxiv.org/abs/1611.05431.

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>1×1 reduce, 3×3 (strided, grouped), 1×1 expand (×4), with batch norm and a shortcut.</summary>
public sealed class Bottleneck : ResidualBlockBase
{
    /// <summary>Output channels per plane.</summary>
    public const int Expansion = 4;

    /// <param name="ws">The block's cursor, e.g. "layer3.0".</param>
    /// <param name="inChannels">Channels in.</param>
    /// <param name="planes">Output channels are planes · 4.</param>
    /// <param name="stride">Stride of conv2 (3×3) and of the projection shortcut.</param>
    /// <param name="groups">Groups of conv2 (ResNeXt).</param>
    /// <param name="widthPerGroup">torchvision's base_width: inner width = planes · widthPerGroup / 64 · groups.</param>
    public Bottleneck(WeightSource ws, int inChannels, int planes, int stride = 1, int groups = 1, int widthPerGroup = 64)
        : base(ws)
    {
        int width = (int)(planes * (widthPerGroup / 64.0)) * groups;
        int outChannels = planes * Expansion;
        Conv1 = Child(Conv2d.Create(ws.At("conv1"), inChannels, width, kernel: 1, bias: false));
        Bn1 = Child(new BatchNorm2d(ws.At("bn1"), width));
        Conv2 = Child(Conv2d.Create(ws.At("conv2"), width, width, kernel: 3, stride: stride, padding: 1, groups: groups, bias: false));
        Bn2 = Child(new BatchNorm2d(ws.At("bn2"), width));
        Conv3 = Child(Conv2d.Create(ws.At("conv3"), width, outChannels, kernel: 1, bias: false));
        Bn3 = Child(new BatchNorm2d(ws.At("bn3"), outChannels));
        Shortcut = stride != 1 || inChannels != outChannels
            ? Child(new Downsample(ws.At("downsample"), inChannels, outChannels, stride))
            : null;
        OutChannels = outChannels;
    }

    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public Conv2d Conv3 { get; }
    public BatchNorm2d Bn3 { get; }

    /// <summary>"downsample", or null for an identity shortcut.</summary>
    public Downsample? Shortcut { get; }

    public override int OutChannels { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_relu1", "hook_relu2", "hook_add"];

    public override Tensor Forward(Tensor x, bool consumeInput) // [N, C, H, W]
    {
        if (ConvBnAct.CanFuse(this, x))
        {
            // Nothing observes the intermediates: each conv with its batch norm (and ReLU, and the residual add) as one op;
            // the last one writes over its residual where that is ours to give up (the downsample's output, or x).
            Tensor r1 = ConvBnAct.Forward(Conv1, Bn1, x, relu: true);                                // [N, D, H, W]
            Tensor r2 = ConvBnAct.Forward(Conv2, Bn2, r1, relu: true);                               // [N, D, H/s, W/s]
            ReleaseIntermediate(r1);
            return FusedResidualSum(Conv3, Bn3, r2, Shortcut, x, consumeInput);                      // [N, 4P, H/s, W/s]
        }
        Tensor h = Hook("hook_relu1", Ops.Relu(Bn1.Forward(Conv1.Forward(x)))); // [N, D, H, W], D = inner width
        h = Hook("hook_relu2", Ops.Relu(Bn2.Forward(Conv2.Forward(h))));        // [N, D, H/s, W/s]
        h = Bn3.Forward(Conv3.Forward(h));                                      // [N, 4P, H/s, W/s]
        Tensor identity = Shortcut is null ? x : Shortcut.Forward(x);           // [N, 4P, H/s, W/s]
        Tensor sum = Hook("hook_add", h + identity);                            // [N, 4P, H/s, W/s]
        return Output(Ops.Relu(sum));                                           // [N, 4P, H/s, W/s]
    }
}
