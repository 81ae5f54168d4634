// The model card of a split model (Hesse et al. 2025, arXiv 2504.12939): what was split, by which thresholds, and which
// input channels each concept row keeps, so the edited checkpoint can be traced back to its source.

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Provenance and masks of one channel split; serialisable as JSON.</summary>
/// <param name="SourceSha256">SHA-256 of the source checkpoint (hex), or null when unknown.</param>
/// <param name="Layer">The split convolution's path.</param>
/// <param name="Channel">The split channel c (the concept-1 row keeps this index; concept 2 is row O, overlap O+1).</param>
/// <param name="HookName">"&lt;layer&gt;.hook_split".</param>
/// <param name="Rho">ρ used for the masks.</param>
/// <param name="RhoCriterion">"mean of ratios (paper)", "ratio of means (robust)" or "given".</param>
/// <param name="Cosine">cos(ARV(c, t1), ARV(c, t2)).</param>
/// <param name="Mask">[C_in]: 0 shared, 1 concept 1, 2 concept 2 (see <see cref="SplitMask"/>).</param>
public sealed record ChannelSplitCard(string? SourceSha256, string Layer, int Channel, int Class1, int Class2, string HookName,
    double Rho, string RhoCriterion, double Tau, double P, double Gamma, double GammaLow, double Cosine, int[] Mask)
{
    /// <summary>Input channels kept only by the concept-1 row.</summary>
    public int[] Concept1Inputs => Indices(SplitMask.Concept1);

    /// <summary>Input channels kept only by the concept-2 row.</summary>
    public int[] Concept2Inputs => Indices(SplitMask.Concept2);

    /// <summary>Input channels kept by all three rows.</summary>
    public int[] SharedInputs => Indices(SplitMask.Shared);

    private int[] Indices(int kind) => Enumerable.Range(0, Mask.Length).Where(i => Mask[i] == kind).ToArray();
}
