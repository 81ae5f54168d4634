// Hyper-parameters of torchvision's ResNet family, with the standard presets.
// Reference: He et al. 2015, "Deep Residual Learning for Image Recognition", https://arxiv.org/abs/1512.03385;
// torchvision/models/resnet.py (v1.5: the stride sits on the 3×3 convolution of the bottleneck).

namespace Unravel.Models.Vision;

/// <summary>ResNet shape: block kind, blocks per stage, base width, classes.</summary>
/// <param name="Block">Basic (18/34) or Bottleneck (50/101/152).</param>
/// <param name="Layers">Blocks in each of the four stages, e.g. [2, 2, 2, 2] for ResNet-18.</param>
public sealed record ResNetConfig(ResNetBlockKind Block, IReadOnlyList<int> Layers)
{
    /// <summary>ResNet-18: basic blocks [2, 2, 2, 2].</summary>
    public static ResNetConfig ResNet18 { get; } = new(ResNetBlockKind.Basic, [2, 2, 2, 2]);

    /// <summary>ResNet-34: basic blocks [3, 4, 6, 3].</summary>
    public static ResNetConfig ResNet34 { get; } = new(ResNetBlockKind.Basic, [3, 4, 6, 3]);

    /// <summary>ResNet-50: bottlenecks [3, 4, 6, 3].</summary>
    public static ResNetConfig ResNet50 { get; } = new(ResNetBlockKind.Bottleneck, [3, 4, 6, 3]);

    /// <summary>ResNet-101: bottlenecks [3, 4, 23, 3].</summary>
    public static ResNetConfig ResNet101 { get; } = new(ResNetBlockKind.Bottleneck, [3, 4, 23, 3]);

    /// <summary>ResNet-152: bottlenecks [3, 8, 36, 3].</summary>
    public static ResNetConfig ResNet152 { get; } = new(ResNetBlockKind.Bottleneck, [3, 8, 36, 3]);

    /// <summary>Channels of the stem and of the first stage's planes (torchvision: 64); stage i has Width·2^i planes.</summary>
    /// <remarks>Lower it to build reduced-width models for small fixtures; the key names do not change.</remarks>
    public int Width { get; init; } = 64;

    /// <summary>Output classes of <c>fc</c> (ImageNet: 1000).</summary>
    public int Classes { get; init; } = 1000;

    /// <summary>Input image channels (3 for RGB).</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Groups of the bottleneck 3×3 convolution (ResNeXt); 1 for ResNet.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>torchvision's <c>width_per_group</c>: bottleneck inner width = planes · WidthPerGroup / 64 · Groups.</summary>
    public int WidthPerGroup { get; init; } = 64;

    /// <summary>Channels a block of this config outputs per plane (1 basic, 4 bottleneck).</summary>
    public int Expansion => Block == ResNetBlockKind.Bottleneck ? Bottleneck.Expansion : 1;

    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    internal void Validate()
    {
        if (Layers is null || Layers.Count != 4 || Layers.Any(n => n < 1))
            throw new ArgumentException($"resnet: Layers must list four positive block counts, got [{string.Join(", ", Layers ?? [])}].");
        if (Block == ResNetBlockKind.Plain)
            throw new ArgumentException("resnet: the Plain block kind belongs to SmallCnn; use Basic or Bottleneck.");
        if (Width < 1 || Classes < 1 || InChannels < 1 || Groups < 1 || WidthPerGroup < 1)
            throw new ArgumentException(
                $"resnet: Width {Width}, Classes {Classes}, InChannels {InChannels}, Groups {Groups}, WidthPerGroup {WidthPerGroup} must all be ≥ 1.");
        if (Block == ResNetBlockKind.Basic && (Groups != 1 || WidthPerGroup != 64))
            throw new ArgumentException("resnet: basic blocks support only Groups 1 and WidthPerGroup 64 (as torchvision).");
    }
}
