// The JSON part of a training checkpoint (state.json).

using System.Text.Json.Serialization;

namespace Unravel.Models.Training;

/// <summary>The JSON part of a checkpoint.</summary>
public sealed record TrainingState
{
    [JsonPropertyName("step")] public long Step { get; init; }
    [JsonPropertyName("total_steps")] public long TotalSteps { get; init; }
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; }
    [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = "";
    [JsonPropertyName("optimizer_steps")] public long OptimizerSteps { get; init; }
    /// <summary>The random streams are counter-based: (seed, "order", epoch) and (seed, "batch", epoch, step).</summary>
    [JsonPropertyName("rng")] public string Rng { get; init; } = "";
    [JsonPropertyName("training_seconds")] public double TrainingSeconds { get; init; }
    [JsonPropertyName("threads")] public int Threads { get; init; }
    /// <summary>Evaluations so far (step, loss, accuracy, count), so a resumed run keeps its history and selection.</summary>
    [JsonPropertyName("evaluations")] public IReadOnlyList<StepEvaluation>? Evaluations { get; init; }
    /// <summary>The step of the best weights so far (in best.safetensors) when the run selects on validation.</summary>
    [JsonPropertyName("selected_step")] public long? SelectedStep { get; init; }
    /// <summary>The selection score of <see cref="SelectedStep"/>'s evaluation.</summary>
    [JsonPropertyName("selected_score")] public double? SelectedScore { get; init; }
}
