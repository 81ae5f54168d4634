// One progress report of a training run (the CLI prints it to stderr).

namespace Unravel.Models.Training;

/// <summary>Where a run stands.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Epoch">Current epoch (0-based).</param>
/// <param name="LearningRate">Rate of the last step.</param>
/// <param name="Loss">Mean training loss since the previous report.</param>
/// <param name="Accuracy">Training top-1 accuracy since the previous report.</param>
/// <param name="ItemsPerSecond">Training throughput of this session (evaluation time excluded).</param>
/// <param name="Remaining">Estimated time to the last step at that throughput.</param>
/// <param name="Evaluation">Set when this report follows an evaluation.</param>
public sealed record TrainingProgress(long Step, long TotalSteps, int Epoch, float LearningRate, double Loss, double Accuracy,
    double ItemsPerSecond, TimeSpan Remaining, EvaluationResult? Evaluation);
