// Common base of the blocks a ResNetStage is made of, so a stage can hold either kind behind one Forward.

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>A block of a <see cref="ResNetStage"/>: [N, C, H, W] → [N, C', H/stride, W/stride].</summary>
public abstract class ResidualBlockBase(WeightSource ws) : Module(ws)
{
    /// <summary>Channels out of the block.</summary>
    public abstract int OutChannels { get; }

    /// <summary>Runs the block; its output passes the hooks at <see cref="Module.Path"/>.</summary>
    public Tensor Forward(Tensor x) => Forward(x, consumeInput: false);

    /// <summary>Runs the block. With <paramref name="consumeInput"/> the caller gives up <paramref name="x"/> (an
    /// intermediate nothing else holds): the fused inference path may then write the block's output over x's storage, as
    /// the residual add's last reader, and return x itself; the caller must not read x afterwards, nor release it when
    /// the output is x.</summary>
    public abstract Tensor Forward(Tensor x, bool consumeInput);

    /// <summary>The fused last step of a block on the inference path: relu(bn(conv(h)) + shortcut(x)), the shortcut being
    /// the downsample of x or x itself. The sum is written over the residual where that is the block's to give up (the
    /// downsample's output, or x when <paramref name="consumeInput"/>); h and the downsample's output go back to the arena.</summary>
    /// <param name="conv">The block's last convolution.</param>
    /// <param name="bn">Its batch norm.</param>
    /// <param name="h">The block's inner activation, the conv's input.</param>
    /// <param name="downsample">The shortcut's conv and batch norm, or null for the identity.</param>
    /// <param name="x">The block's input.</param>
    /// <param name="consumeInput">As in <see cref="Forward(Tensor, bool)"/>.</param>
    protected Tensor FusedResidualSum(Conv2d conv, BatchNorm2d bn, Tensor h, Downsample? downsample, Tensor x, bool consumeInput)
    {
        Tensor residual = downsample is null ? x : ConvBnAct.Forward(downsample.Conv, downsample.Bn, x);   // [N, C', H/s, W/s]
        bool consume = downsample is null ? consumeInput : CanReleaseIntermediate(residual);
        Tensor y = ConvBnAct.Forward(conv, bn, h, residual, relu: true, consumeResidual: consume);        // [N, C', H/s, W/s]
        ReleaseIntermediate(h);
        if (downsample is not null && !ReferenceEquals(y, residual)) ReleaseIntermediate(residual);
        return y;
    }
}
