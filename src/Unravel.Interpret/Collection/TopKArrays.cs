// A sorted top-k table as flat arrays (the layout written to the atlas).

namespace Unravel.Interpret.Collection;

/// <summary>Top-k references of every neuron, row-major [K, C], row 0 = best (CRP's layout). Empty slots: index -1,
/// position -1, value NaN.</summary>
/// <param name="K">Rows.</param>
/// <param name="Neurons">C, columns.</param>
/// <param name="Values">[K, C] pooled activation (max or mean over positions).</param>
/// <param name="Indices">[K, C] dataset input index.</param>
/// <param name="Positions">[K, C] flat argmax position (h·W + w, or token t); 0 for [N, C] layers.</param>
public sealed record TopKArrays(int K, int Neurons, float[] Values, long[] Indices, int[] Positions);
