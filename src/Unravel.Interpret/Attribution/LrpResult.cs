// The result of one LRP / CRP attribution.

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution;

/// <summary>Input relevance, heatmap, and bookkeeping of one attribution.</summary>
/// <param name="Output">Model output [N, Classes].</param>
/// <param name="Classes">Explained class per row (the predicted ones when the walk starts at a layer).</param>
/// <param name="InputRelevance">Relevance per input element, shaped like the input.</param>
/// <param name="Heatmap">Input relevance summed over channels: [N, H, W] for images, else like the input.</param>
/// <param name="Conservation">Relevance in/out per node.</param>
/// <param name="LayerRelevance">Relevance at each recorded layer (masked where a condition applies).</param>
/// <param name="LayerActivations">Activation at each recorded layer.</param>
public sealed record LrpResult(Tensor Output, int[] Classes, Tensor InputRelevance, Tensor Heatmap, ConservationReport Conservation,
    IReadOnlyDictionary<string, Tensor> LayerRelevance, IReadOnlyDictionary<string, Tensor> LayerActivations)
{
    /// <summary>Σ heatmap of batch row <paramref name="row"/>.</summary>
    public double TotalRelevance(int row = 0)
    {
        int per = Heatmap.Length / Heatmap.Dim(0);
        return Elementwise.Sum(Heatmap.Data.Slice(row * per, per));
    }

    /// <summary>Relevance per channel at a recorded layer, summed over spatial positions: [N, C] (CRP R_c).</summary>
    /// <exception cref="KeyNotFoundException">The layer was not recorded.</exception>
    public Tensor ChannelRelevance(string layer)
    {
        Tensor r = LayerRelevance.TryGetValue(layer, out Tensor? t) ? t
            : throw new KeyNotFoundException($"layer '{layer}' was not recorded; add it to LrpOptions.RecordLayers.");
        int n = r.Dim(0), c = r.Rank > 1 ? r.Dim(1) : 1, inner = r.Length / Math.Max(1, n * c);
        Tensor o = Tensor.Zeros(n, c);
        for (int i = 0; i < n * c; i++) o.Data[i] = (float)Elementwise.Sum(r.Data.Slice(i * inner, inner));
        return o;
    }
}
