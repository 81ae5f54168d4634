// What a training task returns for one batch: the differentiable loss and the counts behind the accuracy shown.

namespace Unravel.Models.Training;

/// <summary>The loss of one batch and its top-1 hits.</summary>
/// <param name="Loss">Scalar, recorded on the tape (mean cross-entropy).</param>
/// <param name="Correct">Predictions equal to the target (images, or next tokens).</param>
/// <param name="Counted">Predictions made.</param>
public sealed record BatchLoss(Tensor Loss, int Correct, int Counted);
