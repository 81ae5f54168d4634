// The data side of training: a model, numbered training examples, how a batch of them becomes a loss, and how the
// model is evaluated. The trainer owns everything else (order, optimizer, schedule, checkpoints, progress).

namespace Unravel.Models.Training;

/// <summary>A model plus its training and evaluation data.</summary>
public interface ITrainingTask
{
    /// <summary>The model being trained; its trainable parameters are watched every step.</summary>
    RootModule Model { get; }

    /// <summary>Training examples (images, or token windows); the trainer shuffles their indices.</summary>
    int ExampleCount { get; }

    /// <summary>Items per example for throughput (1 per image, T per token window).</summary>
    int ItemsPerExample { get; }

    /// <summary>The unit of throughput, e.g. "images" or "tokens".</summary>
    string ItemName { get; }

    /// <summary>Forward pass of the examples <paramref name="examples"/> in training mode.</summary>
    /// <param name="examples">Example indices of this batch.</param>
    /// <param name="rng">This batch's random stream (augmentation).</param>
    BatchLoss Loss(ReadOnlySpan<int> examples, TrainingRandom rng);

    /// <summary>Evaluates the model (eval mode, no tape) on the task's evaluation set.</summary>
    /// <param name="limit">Evaluate only the first <paramref name="limit"/> examples of that set; all when null.</param>
    EvaluationResult Evaluate(int? limit = null);
}
