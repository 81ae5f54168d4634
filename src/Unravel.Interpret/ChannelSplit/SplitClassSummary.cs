// Class means of a channel split's evaluation (Hesse et al. 2025, arXiv 2504.12939).

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Means of D1/A, D2/A, R/A over the kept held-out images of one class.</summary>
/// <param name="Class">t1 or t2.</param>
/// <param name="Images">Held-out images of the class.</param>
/// <param name="Kept">Of them, those that pass the τ rule.</param>
public sealed record SplitClassSummary(int Class, int Images, int Kept, double D1OverA, double D2OverA, double ROverA);
