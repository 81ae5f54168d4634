// The explicit list of architecture presets (no reflection): adding a model is one folder plus one line here.

using Unravel.Models.Text;

namespace Unravel.Models;

/// <summary>All architecture presets by name.</summary>
public static class ModelRegistry
{
    /// <summary>Every preset, in display order.</summary>
    public static IReadOnlyList<Architecture> Architectures { get; } =
    [
        // one line per preset, e.g. new("resnet18", "resnet", "torchvision ResNet-18", ws => new ResNet(ws, ResNetConfig.ResNet18), []),
        new("gpt2", "gpt2", "GPT-2 small, 124M parameters (Radford et al. 2019)", ws => new Gpt2(ws, Gpt2Config.Small), Gpt2Checkpoint.IgnoredKeys, Gpt2Checkpoint.FromHuggingFace),
        new("gpt2-medium", "gpt2", "GPT-2 medium, 355M parameters", ws => new Gpt2(ws, Gpt2Config.Medium), Gpt2Checkpoint.IgnoredKeys, Gpt2Checkpoint.FromHuggingFace),
        new("gpt2-large", "gpt2", "GPT-2 large, 774M parameters", ws => new Gpt2(ws, Gpt2Config.Large), Gpt2Checkpoint.IgnoredKeys, Gpt2Checkpoint.FromHuggingFace),
        new("gpt2-xl", "gpt2", "GPT-2 XL, 1558M parameters", ws => new Gpt2(ws, Gpt2Config.Xl), Gpt2Checkpoint.IgnoredKeys, Gpt2Checkpoint.FromHuggingFace),
    ];

    /// <summary>The preset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static Architecture Get(string name) =>
        Architectures.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown architecture '{name}'. Known: {string.Join(", ", Architectures.Select(a => a.Name))}", nameof(name));
}
