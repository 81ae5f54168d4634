// Common base of the blocks a ResNetStage is made of, so a stage can hold either kind behind one Forward.

namespace Unravel.Models.Vision;

/// <summary>A block of a <see cref="ResNetStage"/>: [N, C, H, W] → [N, C', H/stride, W/stride].</summary>
public abstract class ResidualBlockBase(WeightSource ws) : Module(ws)
{
    /// <summary>Channels out of the block.</summary>
    public abstract int OutChannels { get; }

    /// <summary>Runs the block; its output passes the hooks at <see cref="Module.Path"/>.</summary>
    public abstract Tensor Forward(Tensor x);
}
