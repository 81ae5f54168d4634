// Settings of one training run (the optimizer is passed separately: it owns its own hyper-parameters).

using Unravel.Nn.Optim;

namespace Unravel.Models.Training;

/// <summary>Epochs, batch, seed, schedule, evaluation and checkpoint cadence of a <see cref="Trainer"/> run.</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 1;

    /// <summary>Examples per step; the last partial batch of an epoch is dropped.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seeds the example order and augmentation (the model's init is seeded by the caller).</summary>
    public int Seed { get; init; }

    /// <summary>Stop after this many steps in total (the schedule spans this many); all epochs when null.</summary>
    public long? MaxSteps { get; init; }

    public required LrSchedule Schedule { get; init; }

    /// <summary>Clip the global gradient L2 norm to this value before each update; no clipping when null.</summary>
    public float? GradClipNorm { get; init; }

    /// <summary>Evaluate every this many steps (and at the end); at every epoch end when 0.</summary>
    public int EvalEverySteps { get; init; }

    /// <summary>Evaluate only the first examples of the evaluation set during training; all when null.</summary>
    public int? EvalLimit { get; init; }

    /// <summary>Early stopping on a validation set: when set, every evaluation is scored by this function (higher is
    /// better), the weights of the best-scoring evaluation are kept (ties keep the earlier step), and the run ends with
    /// those weights in the model. The evaluation set must then be a validation split, never the test set.</summary>
    public Func<EvaluationResult, double>? SelectBy { get; init; }

    /// <summary>Folder for checkpoints (weights.safetensors, optimizer.safetensors, state.json); none when null.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Checkpoint every this many steps (and at epoch ends and the end); epoch ends only when 0.</summary>
    public int CheckpointEverySteps { get; init; }

    /// <summary>Continue from the checkpoint in <see cref="CheckpointDirectory"/> when one exists.</summary>
    public bool Resume { get; init; }

    /// <summary>Stop (after checkpointing) once this many steps are done, as if interrupted; for tests and time-boxing.</summary>
    public long? StopAtStep { get; init; }

    /// <summary>Report progress every this many steps.</summary>
    public int ProgressEverySteps { get; init; } = 20;

    /// <summary>Receives progress reports on the training thread; nothing is printed by the library.</summary>
    public Action<TrainingProgress>? Progress { get; init; }
}
