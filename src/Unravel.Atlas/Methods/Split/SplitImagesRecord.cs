// Which images a channel split (Hesse et al. 2025, arXiv 2504.12939) searched and selected ρ on, and which it was
// evaluated on: an explicit, recorded partition, so that evaluation never sees the images the split was fitted to.

namespace Unravel.Atlas.Methods;

/// <summary>The images of a split run.</summary>
/// <param name="Partition">"seeded-half" (a seeded permutation of the atlas's dataset: first half find/ρ, second half
/// evaluation) or "train-data" (find/ρ on separate files, evaluation on the whole atlas dataset).</param>
/// <param name="Seed">Seed of the permutation (seeded-half).</param>
/// <param name="FindSource">Files of the find/ρ images.</param>
/// <param name="FindImages">Images used to find pairs and choose ρ.</param>
/// <param name="EvaluationImages">Held-out images used to evaluate.</param>
public sealed record SplitImagesRecord(string Partition, int Seed, string FindSource, int FindImages, int EvaluationImages);
