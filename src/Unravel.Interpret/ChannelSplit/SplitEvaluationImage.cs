// One held-out image in the evaluation of a channel split (Hesse et al. 2025, arXiv 2504.12939): the spatial sums
// of the original channel (A) and of the concept-1, concept-2 and overlap rows (D1, D2, R), all before any nonlinearity.

namespace Unravel.Interpret.ChannelSplit;

/// <summary>A, D1, D2, R of one image; the ratios are NaN when A is 0.</summary>
/// <param name="Index">Dataset index.</param>
/// <param name="Label">Its class (t1 or t2).</param>
/// <param name="Relevance">Σ_hw max(0, a_c·g_c) / Σ_c' Σ_hw max(0, a_c'·g_c') (clamp per element) for the label logit.</param>
/// <param name="Kept">Relevance ≥ τ and A ≠ 0: counted in the class means.</param>
public sealed record SplitEvaluationImage(long Index, int Label, double Relevance, bool Kept, double A, double D1, double D2, double R)
{
    public double D1OverA => A != 0 ? D1 / A : double.NaN;
    public double D2OverA => A != 0 ? D2 / A : double.NaN;
    public double ROverA => A != 0 ? R / A : double.NaN;
}
