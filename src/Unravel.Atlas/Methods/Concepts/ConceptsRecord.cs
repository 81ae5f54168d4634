// The per-neuron record of concept vectors (O'Mahony et al. 2023, "Disentangling neuron representations with concept
// vectors", CVPR Workshops): what methods/concepts/<layer>/neuron_<i>.json holds besides the provenance envelope.

namespace Unravel.Atlas.Methods;

/// <summary>Concept vectors of one neuron.</summary>
/// <param name="Ranking">Top-k table the top inputs came from ("max" or "mean" over positions).</param>
/// <param name="Pooling">Pooled vectors clustered ("mean" = global average pooling, as the authors).</param>
/// <param name="TopInputs">Dataset indices of the clustered top inputs, best first.</param>
/// <param name="TopValues">Their activations.</param>
/// <param name="Linkage">SciPy linkage rows [a, b, height, size] of the Ward tree over <paramref name="TopInputs"/>.</param>
/// <param name="CutHeight">Height the tree was cut at.</param>
/// <param name="OutlierRadius">Radius around a centroid beyond which members are outliers, or null for none.</param>
/// <param name="Scale">The lower quartile of pairwise distances that relative thresholds multiply.</param>
/// <param name="Labels">Concept of each top input (-1 = outlier or dropped).</param>
/// <param name="Concepts">The concepts.</param>
/// <param name="Polysemanticity">How many concepts, and the effective number.</param>
/// <param name="LabelEntropy">Entropy (bits) of the top inputs' class labels, when labels exist.</param>
public sealed record ConceptsRecord(string Ranking, string Pooling, long[] TopInputs, float[] TopValues, double[][] Linkage, double? CutHeight,
    double? OutlierRadius, double Scale, int[] Labels, ConceptRecord[] Concepts, PolysemanticityRecord Polysemanticity, double? LabelEntropy);
