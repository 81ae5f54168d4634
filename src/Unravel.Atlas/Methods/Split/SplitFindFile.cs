// The stored search for γ-polysemantic channels of one convolution (Hesse et al. 2025, arXiv 2504.12939): the whole
// ChannelSplitFindResult (per-class image counts, importance counts, mean relevance, input tap means, candidates, ARVs,
// every cosine, τ/p/γ) in the method's provenance envelope, so that a later split reuses it without a second pass.

using Unravel.Interpret.ChannelSplit;

namespace Unravel.Atlas.Methods;

/// <summary>The file methods/split/&lt;conv&gt;/find.json.</summary>
/// <param name="FormatVersion">Atlas format that wrote it.</param>
/// <param name="Provenance">Model, data, seed and options.</param>
/// <param name="Layer">The convolution.</param>
/// <param name="Images">The images it was found on (and which are held out).</param>
/// <param name="Find">What the search found.</param>
public sealed record SplitFindFile(int FormatVersion, Provenance Provenance, string Layer, SplitImagesRecord Images, ChannelSplitFindResult Find);
