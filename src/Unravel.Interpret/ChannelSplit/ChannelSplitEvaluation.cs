// The evaluation of a channel split (Hesse et al. 2025, arXiv 2504.12939): per held-out image of t1 and t2 that
// passes the τ rule, D1/A, D2/A, R/A (D1/A + D2/A − R/A = 1 by construction, checked), their class means, the
// distributions of A, D1, D2 per class (all images of both classes are listed), and the largest logit difference between
// the original and the split model over every evaluated image.

namespace Unravel.Interpret.ChannelSplit;

/// <summary>The result of <see cref="ChannelSplitEvaluator.Evaluate"/>.</summary>
/// <param name="Tau">τ of the per-image filter.</param>
/// <param name="EvaluatedImages">Images whose logits were compared (all classes).</param>
/// <param name="MaxAbsLogitDiff">max |logits_original − logits_split|.</param>
/// <param name="MaxAbsLogit">max |logits_original|, to read the difference relatively.</param>
/// <param name="MaxIdentityError">max |D1/A + D2/A − R/A − 1| over the kept images.</param>
/// <param name="Classes">t1 then t2.</param>
/// <param name="Images">Every held-out image of t1 and t2, kept or not.</param>
public sealed record ChannelSplitEvaluation(string Layer, int Channel, int Class1, int Class2, double Tau, int EvaluatedImages,
    double MaxAbsLogitDiff, double MaxAbsLogit, double MaxIdentityError, IReadOnlyList<SplitClassSummary> Classes,
    IReadOnlyList<SplitEvaluationImage> Images);
