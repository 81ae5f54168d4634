// The choice of ρ for a channel split (Hesse et al. 2025, arXiv 2504.12939): over the grid 0.05 … 1.00, on the
// training images of t1 and t2, q1 = mean over t1 images of P1/(P2 + 1e-5) and q2 = mean over t2 images of P2/(P1 + 1e-5),
// where Pk = Σ_hw max(0, dk) is the positive part of the concept-k row's (pre-merge) output; ρ* = argmax q1 + q2 (the first
// grid value on ties). A mean of ratios lets one image with P ≈ 0 in a denominator dominate, so a robust variant is
// reported alongside: the ratio of means, q1' = ΣP1/ΣP2 over t1 images (and q2' likewise), ρ' = argmax q1' + q2'.

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Per-ρ criteria and the chosen ρ.</summary>
/// <param name="Grid">ρ values.</param>
/// <param name="Q1">Paper criterion: mean over t1 images of P1/(P2 + 1e-5), per ρ.</param>
/// <param name="Q2">Paper criterion: mean over t2 images of P2/(P1 + 1e-5), per ρ.</param>
/// <param name="Q1RatioOfMeans">Robust variant: ΣP1/ΣP2 over t1 images, per ρ.</param>
/// <param name="Q2RatioOfMeans">Robust variant: ΣP2/ΣP1 over t2 images, per ρ.</param>
/// <param name="Rho">ρ* by the paper's criterion (argmax Q1 + Q2).</param>
/// <param name="RobustRho">ρ by the ratio-of-means variant.</param>
/// <param name="Images1">Training images of t1 used.</param>
/// <param name="Images2">Training images of t2 used.</param>
public sealed record RhoSelection(double[] Grid, double[] Q1, double[] Q2, double[] Q1RatioOfMeans, double[] Q2RatioOfMeans,
    double Rho, double RobustRho, int Images1, int Images2);
