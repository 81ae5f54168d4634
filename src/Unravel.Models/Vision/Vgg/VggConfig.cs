// Hyper-parameters of torchvision's VGG family, with the standard presets (configurations A, B, D, E of the paper).
// Reference: Simonyan & Zisserman 2014, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
// https://arxiv.org/abs/1409.1556; torchvision/models/vgg.py (cfgs, make_layers).

namespace Unravel.Models.Vision;

/// <summary>VGG shape: the feature layer list, batch norm, width divisor, classes.</summary>
/// <param name="Layers">Output channels of each 3×3 convolution, with <see cref="Pool"/> for a 2×2 max pool
/// (torchvision's "M"), at full width.</param>
/// <param name="BatchNorm">A BatchNorm2d after every convolution (the "_bn" models).</param>
public sealed record VggConfig(IReadOnlyList<int> Layers, bool BatchNorm)
{
    /// <summary>Marks a 2×2 max pool in <see cref="Layers"/>.</summary>
    public const int Pool = 0;

    private const int M = Pool;
    private static readonly int[] s_a = [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M];
    private static readonly int[] s_b = [64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M];
    private static readonly int[] s_d = [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M];
    private static readonly int[] s_e = [64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M];

    public static VggConfig Vgg11 { get; } = new(s_a, false);
    public static VggConfig Vgg13 { get; } = new(s_b, false);
    public static VggConfig Vgg16 { get; } = new(s_d, false);
    public static VggConfig Vgg19 { get; } = new(s_e, false);
    public static VggConfig Vgg11Bn { get; } = new(s_a, true);
    public static VggConfig Vgg13Bn { get; } = new(s_b, true);
    public static VggConfig Vgg16Bn { get; } = new(s_d, true);
    public static VggConfig Vgg19Bn { get; } = new(s_e, true);

    /// <summary>Divides every convolution's channels and the classifier's hidden width (4096) by this, for reduced
    /// fixtures; 1 is torchvision. Must divide 64.</summary>
    public int WidthDivisor { get; init; } = 1;

    /// <summary>Output classes of <c>classifier.6</c> (ImageNet: 1000).</summary>
    public int Classes { get; init; } = 1000;

    /// <summary>Input image channels (3 for RGB).</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Dropout probability of <c>classifier.2</c> and <c>classifier.5</c> (training only).</summary>
    public float Dropout { get; init; } = 0.5f;

    /// <summary>The classifier's hidden width (4096 / <see cref="WidthDivisor"/>).</summary>
    public int Hidden => 4096 / WidthDivisor;

    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    internal void Validate()
    {
        if (WidthDivisor < 1 || 64 % WidthDivisor != 0)
            throw new ArgumentException($"vgg: WidthDivisor {WidthDivisor} must divide 64.");
        if (Layers is null || !Layers.Any(v => v != Pool) || Layers.Any(v => v < 0 || v != Pool && v % WidthDivisor != 0))
            throw new ArgumentException($"vgg: Layers [{string.Join(", ", Layers ?? [])}] must hold positive channel counts divisible by {WidthDivisor} and {Pool} for pools.");
        if (Classes < 1 || InChannels < 1 || Dropout is < 0f or >= 1f)
            throw new ArgumentException($"vgg: Classes {Classes} and InChannels {InChannels} must be ≥ 1 and Dropout {Dropout} in [0, 1).");
    }
}
