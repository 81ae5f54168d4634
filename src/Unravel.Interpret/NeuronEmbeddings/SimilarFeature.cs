// One neighbour of a feature in the similar-features search (A. Foote 2024, arXiv 2411.08166, §4.1.1).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>A similar feature and the cosine similarity of the two central examples' embeddings.</summary>
public readonly record struct SimilarFeature(FeatureRef Feature, double Similarity);
