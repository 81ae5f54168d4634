// The explicit list of architecture presets (no reflection): adding a model is one folder plus one line here.

namespace Unravel.Models;

/// <summary>All architecture presets by name.</summary>
public static class ModelRegistry
{
    /// <summary>Every preset, in display order.</summary>
    public static IReadOnlyList<Architecture> Architectures { get; } =
    [
        // one line per preset, e.g. new("resnet18", "resnet", "torchvision ResNet-18", ws => new ResNet(ws, ResNetConfig.ResNet18), []),
    ];

    /// <summary>The preset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static Architecture Get(string name) =>
        Architectures.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown architecture '{name}'. Known: {string.Join(", ", Architectures.Select(a => a.Name))}", nameof(name));
}
