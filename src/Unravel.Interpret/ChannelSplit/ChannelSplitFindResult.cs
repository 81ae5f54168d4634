// What the search for γ-polysemantic channels found (Hesse et al. 2025, arXiv 2504.12939), in a form a stage can
// store: the per-class counts it streamed, the candidates, their ARVs, every cosine and the pairs that pass the γ-test.

namespace Unravel.Interpret.ChannelSplit;

/// <summary>The result of <see cref="ChannelSplitFinder"/>.</summary>
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

    /// <summary>The γ-polysemantic pair (channel, t1, t2), in either class order, with its ARVs in the asked order.</summary>
    /// <exception cref="UnravelException">The channel or a class is out of range, or the pair did not pass the γ-test; the
    /// message says why (not a candidate, a class it is not relevant to, or the cosine) and lists the pairs found.</exception>
    public (ArvCosine Pair, float[] Arv1, float[] Arv2) RequirePair(int channel, int class1, int class2)
    {
        string found = Pairs.Count == 0 ? "none were found" : "found: " + string.Join(", ", Pairs.Take(10).Select(p => $"{p.Channel} ({p.Class1}, {p.Class2})"));
        if ((uint)channel >= (uint)OutChannels)
            throw new AnalysisException($"channel split: channel {channel} is out of range for '{Layer}' ({OutChannels} channels).");
        if ((uint)class1 >= (uint)ImagesPerClass.Length || (uint)class2 >= (uint)ImagesPerClass.Length || class1 == class2)
            throw new AnalysisException($"channel split: classes {class1}, {class2} must be two different classes in 0..{ImagesPerClass.Length - 1}.");
        (int lo, int hi) = class1 < class2 ? (class1, class2) : (class2, class1);
        ArvCosine? pair = Cosines.FirstOrDefault(c => c.Channel == channel && c.Class1 == lo && c.Class2 == hi);
        string why = pair is not null ? $"their ARV cosine {pair.Cosine:F3} is outside [{Options.GammaLow}, {Options.Gamma})"
            : Candidates.FirstOrDefault(c => c.Channel == channel) is { } cand
                ? $"channel {channel} is relevant to classes {string.Join(", ", cand.RelevantClasses)} only"
                : $"channel {channel} is relevant to fewer than two classes";
        if (pair is not { Polysemantic: true })
            throw new AnalysisException($"channel split: channel {channel} with classes ({class1}, {class2}) in '{Layer}' is not " +
                $"γ-polysemantic: {why}; γ-polysemantic pairs {found}.",
                "`unravel split ATLAS --layer L --find` lists the γ-polysemantic pairs; --gamma raises the cosine bound");
        float[] Arv(int t) => Arvs.First(a => a.Channel == channel && a.Class == t).Values;
        return (pair, Arv(class1), Arv(class2));
    }

    /// <summary>Images streamed.</summary>
    public int Images => ImagesPerClass.Sum();
}
