// Hyper-parameters of the small CNN family for 28×28 gray images (Fashion-MNIST, MNIST): a 3×3 stem, one stage per
// entry of Widths (the first at full resolution, each later one halving it with a stride-2 first block), global
// average pooling and a linear classifier. Residual stages use torchvision BasicBlocks; plain stages use PlainBlocks.

namespace Unravel.Models.Vision;

/// <summary>Small CNN shape: stage widths, blocks per stage, residual or plain, batch norm, classes.</summary>
/// <param name="Widths">Channels of each stage; the stem has Widths[0] channels.</param>
public sealed record SmallCnnConfig(IReadOnlyList<int> Widths)
{
    /// <summary>"small-resnet": stem 3×3 conv (32) + BN, residual stages 32/64/128 (one BasicBlock each, 28→14→7), global
    /// average pool, fc to 10 classes.</summary>
    public static SmallCnnConfig SmallResNet { get; } = new([32, 64, 128]);

    /// <summary>"small-resnet-16": the same layout at half width, stages 16/32/64 (about 4× cheaper; the shipped
    /// Fashion-MNIST model, sized to train on one CPU core in half an hour).</summary>
    public static SmallCnnConfig SmallResNet16 { get; } = new([16, 32, 64]);

    /// <summary>"small-cnn": the same layout with plain conv-BN-ReLU blocks and no shortcuts.</summary>
    public static SmallCnnConfig SmallPlain { get; } = new([32, 64, 128]) { Residual = false };

    /// <summary>Blocks in every stage.</summary>
    public int BlocksPerStage { get; init; } = 1;

    /// <summary>BasicBlocks with shortcuts (true) or PlainBlocks (false).</summary>
    public bool Residual { get; init; } = true;

    /// <summary>Batch norm after every convolution; without it convolutions carry biases.</summary>
    public bool BatchNorm { get; init; } = true;

    public int Classes { get; init; } = 10;

    public int InChannels { get; init; } = 1;

    /// <summary>Nominal input side (the model accepts any size thanks to global pooling).</summary>
    public int ImageSize { get; init; } = 28;

    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    internal void Validate()
    {
        if (Widths is null || Widths.Count == 0 || Widths.Any(w => w < 1))
            throw new ArgumentException($"small-cnn: Widths [{string.Join(", ", Widths ?? [])}] must list at least one positive width.");
        if (BlocksPerStage < 1 || Classes < 1 || InChannels < 1 || ImageSize < 1)
            throw new ArgumentException(
                $"small-cnn: BlocksPerStage {BlocksPerStage}, Classes {Classes}, InChannels {InChannels}, ImageSize {ImageSize} must be ≥ 1.");
    }
}
