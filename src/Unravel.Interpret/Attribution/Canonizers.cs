// Canonizer presets.

namespace Unravel.Interpret.Attribution;

/// <summary>Canonizer sets for the model families.</summary>
public static class Canonizers
{
    /// <summary>None: batch norms get Pass, residual adds keep their gradient.</summary>
    public static IReadOnlyList<ICanonizer> None { get; } = [];

    /// <summary>Batch-norm folding only (VGG-BN, plain CNNs).</summary>
    public static IReadOnlyList<ICanonizer> BatchNorm { get; } = [new BatchNormFoldCanonizer()];

    /// <summary>Batch-norm folding and residual sums (zennit ResNetCanonizer); harmless on models without either.</summary>
    public static IReadOnlyList<ICanonizer> ResNet { get; } = [new BatchNormFoldCanonizer(), new ResidualSumCanonizer()];
}
