// One stage of a ResNet ("layer1" … "layer4"): torchvision's `_make_layer` Sequential. The first block carries the
// stride and the projection shortcut; the others keep the shape. The stage output is a hook point ("layer3"), equal
// to its last block's output.

namespace Unravel.Models.Vision;

/// <summary>A sequence of residual (or plain) blocks at one resolution.</summary>
public sealed class ResNetStage : Module
{
    /// <param name="ws">The stage's cursor, e.g. "layer2"; blocks are "layer2.0", "layer2.1", ….</param>
    /// <param name="kind">Block type.</param>
    /// <param name="inChannels">Channels into the first block.</param>
    /// <param name="planes">Planes of every block (output channels = planes · expansion).</param>
    /// <param name="blocks">Number of blocks, ≥ 1.</param>
    /// <param name="stride">Stride of the first block.</param>
    /// <param name="groups">Bottleneck groups.</param>
    /// <param name="widthPerGroup">Bottleneck width per group.</param>
    /// <param name="batchNorm">Basic and plain blocks only: with batch norm (torchvision) or with conv biases.</param>
    public ResNetStage(WeightSource ws, ResNetBlockKind kind, int inChannels, int planes, int blocks, int stride,
        int groups = 1, int widthPerGroup = 64, bool batchNorm = true) : base(ws)
    {
        var list = new List<ResidualBlockBase>(blocks);
        int channels = inChannels;
        for (int i = 0; i < blocks; i++)
        {
            int s = i == 0 ? stride : 1;
            ResidualBlockBase block = kind switch
            {
                ResNetBlockKind.Basic => new BasicBlock(ws.At(i), channels, planes, s, batchNorm),
                ResNetBlockKind.Bottleneck => new Bottleneck(ws.At(i), channels, planes, s, groups, widthPerGroup),
                ResNetBlockKind.Plain => new PlainBlock(ws.At(i), channels, planes, s, batchNorm),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown block kind"),
            };
            list.Add(Child(block));
            channels = block.OutChannels;
        }
        Blocks = list;
        OutChannels = channels;
    }

    public IReadOnlyList<ResidualBlockBase> Blocks { get; }

    public int OutChannels { get; }

    public Tensor Forward(Tensor x) // [N, C, H, W]
    {
        Tensor input = x;
        foreach (ResidualBlockBase block in Blocks)
        {
            // A block output is the next block's to consume (its sum may be written over it); the stage input is not ours.
            bool ours = !ReferenceEquals(x, input) && CanReleaseIntermediate(x);
            Tensor y = block.Forward(x, consumeInput: ours);              // [N, C', H/s, W/s]
            if (!ReferenceEquals(x, input) && !ReferenceEquals(y, x)) ReleaseIntermediate(x);
            x = y;
        }
        return Output(x);
    }
}
