// The partition of a layer's input channels between the two concepts of a split channel (Hesse et al. 2025,
// arXiv 2504.12939, the weight surgery): i goes to concept 1 when ρ·ARV1[i] > ARV2[i], else to concept 2 when
// ρ·ARV2[i] > ARV1[i], else it is shared (strict comparisons of the raw, signed ARVs; a smaller ρ shares more).

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Input-channel masks of a split: <see cref="Shared"/>, <see cref="Concept1"/> or <see cref="Concept2"/> per input channel.</summary>
public static class SplitMask
{
    public const byte Shared = 0;
    public const byte Concept1 = 1;
    public const byte Concept2 = 2;

    /// <summary>The paper's ρ grid 0.05, 0.10, …, 1.00.</summary>
    public static IReadOnlyList<double> RhoGrid { get; } = Enumerable.Range(1, 20).Select(i => i * 0.05).ToArray();

    /// <summary>Assigns each input channel to concept 1, concept 2 or shared.</summary>
    /// <param name="arv1">ARV(c, t1), [C_in].</param>
    /// <param name="arv2">ARV(c, t2), [C_in].</param>
    /// <param name="rho">ρ ∈ (0, 1].</param>
    /// <returns>[C_in] of <see cref="Shared"/>, <see cref="Concept1"/>, <see cref="Concept2"/>.</returns>
    /// <exception cref="UnravelException">Lengths differ or ρ is outside (0, 1].</exception>
    public static byte[] Partition(ReadOnlySpan<float> arv1, ReadOnlySpan<float> arv2, double rho)
    {
        if (arv1.Length != arv2.Length)
            throw new AnalysisException($"channel split: ARV lengths differ ({arv1.Length} vs {arv2.Length}).");
        if (!(rho > 0 && rho <= 1)) throw new AnalysisException($"channel split: rho {rho} must be in (0, 1].");
        var mask = new byte[arv1.Length];
        for (int i = 0; i < mask.Length; i++)
        {
            if (rho * arv1[i] > arv2[i]) mask[i] = Concept1;
            else if (rho * arv2[i] > arv1[i]) mask[i] = Concept2;
        }
        return mask;
    }
}
