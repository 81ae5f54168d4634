// What the search for γ-polysemantic channels found (Hesse et al. 2025, arXiv 2504.12939, Sec. 3), in a form a stage can
// store: the per-class counts it streamed, the candidates, their ARVs, every cosine and the pairs that pass the γ-test.

namespace Unravel.Interpret.ChannelSplit;

/// <summary>The result of <see cref="ChannelSplitFinder.Find"/>.</summary>
/// <param name="Layer">The convolution's path.</param>
/// <param name="OutChannels">C_out of the layer.</param>
/// <param name="InChannels">C_in of the layer (the ARV length).</param>
/// <param name="Options">τ, p, γ used (recorded so the split can be reproduced).</param>
/// <param name="ImagesPerClass">N_t, [K].</param>
/// <param name="ImportantCounts">[K][C_out]: images of class t for which channel c is important.</param>
/// <param name="MeanRelevance">[K][C_out]: mean channel relevance R_c to the label logit over the images of t.</param>
/// <param name="InputTapMeans">[K][C_in · KH · KW]: per class, the mean over images of Σ over output positions of the
/// input value each kernel tap reads (zero padding included). ARV(c, t)[i] = Σ_taps W[c, i, tap] · this; see
/// <see cref="ChannelSplitFinder.Arv"/>.</param>
/// <param name="Candidates">Channels relevant to ≥ 2 classes.</param>
/// <param name="Arvs">ARV(c, t) of every candidate c and each of its relevant classes t.</param>
/// <param name="Cosines">Every pair of relevant classes of every candidate.</param>
public sealed record ChannelSplitFindResult(
    string Layer,
    int OutChannels,
    int InChannels,
    ChannelSplitFindOptions Options,
    int[] ImagesPerClass,
    int[][] ImportantCounts,
    double[][] MeanRelevance,
    float[][] InputTapMeans,
    IReadOnlyList<SplitCandidate> Candidates,
    IReadOnlyList<ClassArv> Arvs,
    IReadOnlyList<ArvCosine> Cosines)
{
    /// <summary>The γ-polysemantic pairs, by ascending cosine.</summary>
    public IReadOnlyList<ArvCosine> Pairs => Cosines.Where(c => c.Polysemantic).OrderBy(c => c.Cosine).ToList();

    /// <summary>Images streamed.</summary>
    public int Images => ImagesPerClass.Sum();
}
