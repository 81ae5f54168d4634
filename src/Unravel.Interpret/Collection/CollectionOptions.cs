// Options of one collection pass (what per-neuron evidence to keep and how much of it).

namespace Unravel.Interpret.Collection;

/// <summary>What <see cref="LayerStatistics"/> keeps per neuron.</summary>
public sealed record CollectionOptions
{
    /// <summary>Reference inputs kept per neuron and ranking (by max and by mean over positions). CRP's ActMax uses 100.</summary>
    public int TopK { get; init; } = 100;

    /// <summary>Reference inputs kept per neuron, ranking and class label; 0 disables per-class tables.</summary>
    public int ClassTopK { get; init; } = 100;

    /// <summary>Number of histogram bins over every finite activation value of a neuron.</summary>
    public int HistogramBins { get; init; } = 64;

    /// <summary>Fixed histogram range for every neuron; null takes each neuron's finite [min, max] of the first batch.
    /// Values outside the range are counted as underflow / overflow. Merging needs equal ranges.</summary>
    public (float Low, float High)? HistogramRange { get; init; }

    /// <summary>Size of the uniform random sample of inputs (the same inputs for every neuron of a layer).</summary>
    public int RandomSamples { get; init; } = 32;

    /// <summary>Seed of the random sample: input i's sampling key is a hash of (seed, i), so the sample does not depend
    /// on batch size, order or sharding.</summary>
    public int Seed { get; init; }

    /// <summary>Number of quantile samples (at quantiles 0, 1/(Q-1), …, 1 of the per-input max); needs <see cref="KeepPooled"/>.</summary>
    public int Quantiles { get; init; } = 11;

    /// <summary>Keep the pooled per-input vectors [inputs, C] (max and mean over positions) in memory: memory grows with
    /// the dataset (8 bytes per input and neuron) but quantile samples are exact and the vectors can be written out.</summary>
    public bool KeepPooled { get; init; } = true;

    /// <summary>Token pooling of transformer activations [N, T, D] before anything is recorded (a ViT's CLS token or the
    /// mean over tokens: one vector [N, D] per image); null records every token as a position. Other ranks are untouched.</summary>
    public Unravel.Models.Vision.ViTPool? TokenPool { get; init; }
}
