// The result of the similar-features search (A. Foote 2024, arXiv 2411.08166, §4.1.1).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Every feature and its nearest neighbours, best first.</summary>
/// <param name="Features">[M] the features searched.</param>
/// <param name="Neighbours">[M] per feature, its neighbours above the threshold, most similar first (ties: lower
/// feature index).</param>
/// <param name="Comparisons">Similarities computed (M², the cost of the exact search).</param>
public sealed record SimilarFeaturesResult(IReadOnlyList<FeatureRef> Features, IReadOnlyList<SimilarFeature[]> Neighbours, long Comparisons);
