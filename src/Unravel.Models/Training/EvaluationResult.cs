// The outcome of evaluating a model on a held-out set.

namespace Unravel.Models.Training;

/// <summary>Mean cross-entropy and top-1 accuracy over <paramref name="Count"/> predictions.</summary>
/// <param name="Loss">Mean negative log-likelihood in nats (computed in double).</param>
/// <param name="Accuracy">Fraction of top-1 hits.</param>
/// <param name="Count">Predictions evaluated (images, or predicted tokens).</param>
public sealed record EvaluationResult(double Loss, double Accuracy, int Count)
{
    /// <summary>exp(Loss): the perplexity of a language model.</summary>
    public double Perplexity => Math.Exp(Loss);
}
