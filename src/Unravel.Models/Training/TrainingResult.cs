// What a training run reports when it returns.

namespace Unravel.Models.Training;

/// <summary>Outcome of <see cref="Trainer.Run"/>.</summary>
/// <param name="Steps">Steps done in total (including those before a resume).</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Completed">False when stopped early by <see cref="TrainingOptions.StopAtStep"/> or cancellation.</param>
/// <param name="TrainingSeconds">Wall time spent in training steps, summed over resumed sessions.</param>
/// <param name="ItemsPerSecond">Training throughput of the last session.</param>
/// <param name="FinalEvaluation">The last evaluation, if any.</param>
/// <param name="Threads">Worker threads the steps ran with (<see cref="Parallelism.Threads"/>).</param>
/// <param name="Evaluations">Every evaluation of this run in step order (those before a resume included when the
/// checkpoint recorded them).</param>
/// <param name="SelectedStep">With <see cref="TrainingOptions.SelectBy"/>: the step whose weights the model holds at the
/// end; null otherwise.</param>
public sealed record TrainingResult(long Steps, long TotalSteps, bool Completed, double TrainingSeconds, double ItemsPerSecond,
    EvaluationResult? FinalEvaluation, int Threads, IReadOnlyList<StepEvaluation>? Evaluations = null, long? SelectedStep = null);

/// <summary>An evaluation during training, after <paramref name="Step"/> steps.</summary>
public sealed record StepEvaluation(long Step, EvaluationResult Result);
