// The explicit list of architecture presets (no reflection): adding a model is one folder plus one line here.

using Unravel.Models.Text;
using Unravel.Models.Vision;

namespace Unravel.Models;

/// <summary>All architecture presets by name.</summary>
public static class ModelRegistry
{
    /// <summary>Every preset, in display order.</summary>
    public static IReadOnlyList<Architecture> Architectures { get; } =
    [
        new("resnet18", "resnet", "torchvision ResNet-18 (basic blocks 2-2-2-2, 11.7M parameters)", ws => new ResNet(ws, ResNetConfig.ResNet18), []),
        new("resnet34", "resnet", "torchvision ResNet-34 (basic blocks 3-4-6-3, 21.8M parameters)", ws => new ResNet(ws, ResNetConfig.ResNet34), []),
        new("resnet50", "resnet", "torchvision ResNet-50 v1.5 (bottlenecks 3-4-6-3, 25.6M parameters)", ws => new ResNet(ws, ResNetConfig.ResNet50), []),
        new("resnet101", "resnet", "torchvision ResNet-101 v1.5 (bottlenecks 3-4-23-3, 44.5M parameters)", ws => new ResNet(ws, ResNetConfig.ResNet101), []),
        new("resnet152", "resnet", "torchvision ResNet-152 v1.5 (bottlenecks 3-8-36-3, 60.2M parameters)", ws => new ResNet(ws, ResNetConfig.ResNet152), []),
        new("vgg11", "vgg", "torchvision VGG-11 (configuration A, 132.9M parameters)", ws => new Vgg(ws, VggConfig.Vgg11), []),
        new("vgg13", "vgg", "torchvision VGG-13 (configuration B, 133.0M parameters)", ws => new Vgg(ws, VggConfig.Vgg13), []),
        new("vgg16", "vgg", "torchvision VGG-16 (configuration D, 138.4M parameters)", ws => new Vgg(ws, VggConfig.Vgg16), []),
        new("vgg19", "vgg", "torchvision VGG-19 (configuration E, 143.7M parameters)", ws => new Vgg(ws, VggConfig.Vgg19), []),
        new("vgg11_bn", "vgg", "torchvision VGG-11 with batch norm", ws => new Vgg(ws, VggConfig.Vgg11Bn), []),
        new("vgg13_bn", "vgg", "torchvision VGG-13 with batch norm", ws => new Vgg(ws, VggConfig.Vgg13Bn), []),
        new("vgg16_bn", "vgg", "torchvision VGG-16 with batch norm", ws => new Vgg(ws, VggConfig.Vgg16Bn), []),
        new("vgg19_bn", "vgg", "torchvision VGG-19 with batch norm", ws => new Vgg(ws, VggConfig.Vgg19Bn), []),
        new("small-resnet", "small-cnn", "ResNet-style CNN for 28x28 gray images (stem + residual stages 32/64/128, 10 classes)", ws => new SmallCnn(ws, SmallCnnConfig.SmallResNet), []),
        new("small-resnet-16", "small-cnn", "half-width small-resnet (residual stages 16/32/64, 10 classes; the shipped Fashion-MNIST model)", ws => new SmallCnn(ws, SmallCnnConfig.SmallResNet16), []),
        new("small-cnn", "small-cnn", "plain CNN for 28x28 gray images (conv-BN-ReLU stages 32/64/128, 10 classes)", ws => new SmallCnn(ws, SmallCnnConfig.SmallPlain), []),
        new("gpt2", "gpt2", "GPT-2 small, 124M parameters (Radford et al. 2019)", ws => new Gpt2(ws, Gpt2Config.Small), Gpt2Checkpoint.IgnoredKeys, Gpt2Checkpoint.FromHuggingFace),
        new("brown-gpt2", "gpt2", "GPT-2 architecture, 4 layers, width 128, 4 heads, context 128 (the shipped Brown-corpus model)", ws => new Gpt2(ws, Gpt2Config.Brown), Gpt2Checkpoint.IgnoredKeys, Gpt2Checkpoint.FromHuggingFace),
        new("gpt2-medium", "gpt2", "GPT-2 medium, 355M parameters", ws => new Gpt2(ws, Gpt2Config.Medium), Gpt2Checkpoint.IgnoredKeys, Gpt2Checkpoint.FromHuggingFace),
        new("gpt2-large", "gpt2", "GPT-2 large, 774M parameters", ws => new Gpt2(ws, Gpt2Config.Large), Gpt2Checkpoint.IgnoredKeys, Gpt2Checkpoint.FromHuggingFace),
        new("gpt2-xl", "gpt2", "GPT-2 XL, 1558M parameters", ws => new Gpt2(ws, Gpt2Config.Xl), Gpt2Checkpoint.IgnoredKeys, Gpt2Checkpoint.FromHuggingFace),
    ];

    /// <summary>The preset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="UnravelException">Unknown name; the hint lists the known ones.</exception>
    public static Architecture Get(string name) =>
        Architectures.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new UnravelException($"unknown architecture '{name}'.", $"known: {string.Join(", ", Architectures.Select(a => a.Name))} (see `unravel models`)");
}
