// Common base of the blocks a ResNetStage is made of, so a stage can hold either kind behind one Forward.

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
}
