// The finished per-neuron statistics of one layer: plain arrays, ready to be written as .npy or SQLite rows.

namespace Unravel.Interpret.Collection;

/// <summary>Everything collected for one layer. Per-neuron arrays have length C; matrices are row-major.</summary>
public sealed record LayerStatisticsResult
{
    /// <summary>Hook name.</summary>
    public required string Name { get; init; }

    /// <summary>C.</summary>
    public required int Neurons { get; init; }

    /// <summary>Activation shape without the batch axis, e.g. [C, H, W] or [T, C].</summary>
    public required int[] ItemShape { get; init; }

    /// <summary>Positions per input and neuron (H·W, T or 1).</summary>
    public required int Positions { get; init; }

    /// <summary>Inputs seen.</summary>
    public required long Inputs { get; init; }

    /// <summary>Top-k inputs ranked by the max over positions (position = argmax).</summary>
    public required TopKArrays TopByMax { get; init; }

    /// <summary>Top-k inputs ranked by the mean over positions (position = argmax of the same input).</summary>
    public required TopKArrays TopByMean { get; init; }

    /// <summary>Per class label: top-k by max and by mean among inputs of that label (empty without labels).</summary>
    public required IReadOnlyDictionary<int, (TopKArrays ByMax, TopKArrays ByMean)> TopByClass { get; init; }

    /// <summary>Finite activation values counted (inputs × positions minus NaN/Inf).</summary>
    public required long[] Count { get; init; }

    /// <summary>Mean over every finite activation value (float64).</summary>
    public required double[] Mean { get; init; }

    /// <summary>Population standard deviation (ddof 0) over every finite value.</summary>
    public required double[] Std { get; init; }

    /// <summary>Smallest finite value (NaN when none).</summary>
    public required float[] Min { get; init; }

    /// <summary>Largest finite value (NaN when none).</summary>
    public required float[] Max { get; init; }

    /// <summary>Fraction of finite values that are &gt; 0.</summary>
    public required double[] FractionPositive { get; init; }

    /// <summary>NaN values seen (excluded from every statistic and ranking).</summary>
    public required long[] NanCount { get; init; }

    /// <summary>±Inf values seen (excluded likewise).</summary>
    public required long[] InfCount { get; init; }

    /// <summary>Histogram bins.</summary>
    public required int Bins { get; init; }

    /// <summary>[C, Bins] counts of finite values in [low, high) per neuron (the top edge is included in the last bin).</summary>
    public required long[] Histogram { get; init; }

    /// <summary>[C, 2] histogram range (low, high) per neuron.</summary>
    public required float[] HistogramRange { get; init; }

    /// <summary>[C, 2] finite values below low and above high.</summary>
    public required long[] HistogramOutside { get; init; }

    /// <summary>Input indices of the seeded uniform random sample, ascending.</summary>
    public required long[] RandomIndices { get; init; }

    /// <summary>[R, C] per-input max over positions of the random sample.</summary>
    public required float[] RandomValues { get; init; }

    /// <summary>Quantile levels (0 … 1), or empty when pooled values were not kept.</summary>
    public required double[] QuantileLevels { get; init; }

    /// <summary>[Q, C] the input at each quantile of the per-input max (nearest rank, ties by input index); -1 when none.</summary>
    public required long[] QuantileIndices { get; init; }

    /// <summary>[Q, C] the per-input max at that input.</summary>
    public required float[] QuantileValues { get; init; }

    /// <summary>Input indices of the pooled vectors, ascending; null when not kept.</summary>
    public long[]? PooledIndices { get; init; }

    /// <summary>[inputs, C] max over positions (NaN where a neuron had no finite value); null when not kept.</summary>
    public float[]? PooledMax { get; init; }

    /// <summary>[inputs, C] mean over finite positions; null when not kept.</summary>
    public float[]? PooledMean { get; init; }
}
