// The training loop: seeded shuffling, one tape per step (parameters watched, backward on the loss), optional
// global-norm gradient clipping, an optimizer step at the scheduled rate, periodic evaluation, checkpoints and resume.
// Determinism: the example order of epoch e comes from the stream (seed, "order", e) and batch b's augmentation from
// (seed, "batch", e, b); kernels partition work statically, so the same seed and thread count give bit-identical
// weights, and a resumed run continues exactly where the checkpoint left off.
// Early stopping (TrainingOptions.SelectBy): every evaluation on the validation split is scored; the best weights are
// kept in memory and in the checkpoint folder (best.safetensors) and are the model's weights when the run ends.
// Reference: the PyTorch training-loop idiom (zero_grad / backward / clip_grad_norm_ / step); nanoGPT train.py.

using System.Diagnostics;
using Unravel.Nn.Optim;
using Unravel.Tensors.Autograd;

namespace Unravel.Models.Training;

/// <summary>Runs training of an <see cref="ITrainingTask"/> with an <see cref="Optimizer"/>.</summary>
public static class Trainer
{
    private const long OrderStream = 1, BatchStream = 2;

    /// <summary>Trains until the planned steps are done, <see cref="TrainingOptions.StopAtStep"/> is reached, or
    /// <paramref name="cancellationToken"/> fires (a checkpoint is written first when a folder is set).</summary>
    /// <exception cref="ArgumentException">Invalid options, a task with fewer examples than one batch, or a checkpoint
    /// from a run with another seed or batch size.</exception>
    public static TrainingResult Run(ITrainingTask task, Optimizer optimizer, TrainingOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Epochs < 1 || options.BatchSize < 1 || options.ProgressEverySteps < 1 || options.MaxSteps < 1)
            throw new ArgumentException($"trainer: invalid options (epochs {options.Epochs}, batch {options.BatchSize}, max steps {options.MaxSteps}).", nameof(options));
        int stepsPerEpoch = task.ExampleCount / options.BatchSize;
        if (stepsPerEpoch < 1)
            throw new ArgumentException($"trainer: {task.ExampleCount} examples do not fill one batch of {options.BatchSize}.", nameof(task));
        long totalSteps = Math.Min((long)stepsPerEpoch * options.Epochs, options.MaxSteps ?? long.MaxValue);

        RootModule model = task.Model;
        Parameter[] trainable = model.TrainableParameters().ToArray();
        long step = 0;
        double priorSeconds = 0;
        var evaluations = new List<StepEvaluation>();
        (long Step, Dictionary<string, float[]> Weights, double Score)? best = null;   // the selected weights so far
        if (options.Resume && options.CheckpointDirectory is { } dir && TrainingCheckpoint.Exists(dir))
        {
            TrainingState s = TrainingCheckpoint.Load(dir, model, optimizer);
            if (s.Seed != options.Seed || s.BatchSize != options.BatchSize || s.TotalSteps != totalSteps)
                throw new ArgumentException(
                    $"trainer: the checkpoint in {dir} is from a run with seed {s.Seed}, batch {s.BatchSize}, {s.TotalSteps} steps; " +
                    $"this run has seed {options.Seed}, batch {options.BatchSize}, {totalSteps} steps.", nameof(options));
            step = s.Step;
            priorSeconds = s.TrainingSeconds;
            evaluations.AddRange(s.Evaluations ?? []);
            if (options.SelectBy is not null && s.SelectedStep is long selected && s.SelectedScore is double score)
                best = (selected, TrainingCheckpoint.LoadBest(dir), score);
        }

        var clock = Stopwatch.StartNew();
        double trainSeconds = 0;
        long sessionItems = 0;
        double lossSum = 0;
        int correct = 0, counted = 0, lossCount = 0;
        EvaluationResult? lastEval = null;
        int[]? order = null;
        int orderEpoch = -1;
        model.Train();
        while (step < totalSteps)
        {
            int epoch = (int)(step / stepsPerEpoch), inEpoch = (int)(step % stepsPerEpoch);
            if (orderEpoch != epoch)
            {
                order = TrainingRandom.For(options.Seed, OrderStream, epoch).Permutation(task.ExampleCount);
                orderEpoch = epoch;
            }
            long t0 = Stopwatch.GetTimestamp();
            float lr = options.Schedule.RateAt(step, totalSteps);
            TrainStep(task, optimizer, trainable, order.AsSpan(inEpoch * options.BatchSize, options.BatchSize),
                TrainingRandom.For(options.Seed, BatchStream, epoch, inEpoch), lr, options.GradClipNorm, out BatchLoss batch);
            trainSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            step++;
            sessionItems += (long)options.BatchSize * task.ItemsPerExample;
            lossSum += batch.Loss.Data[0];
            lossCount++;
            correct += batch.Correct;
            counted += batch.Counted;

            bool last = step == totalSteps, epochEnd = step % stepsPerEpoch == 0;
            bool stop = step == options.StopAtStep || cancellationToken.IsCancellationRequested;
            bool evaluate = last || (options.EvalEverySteps > 0 ? step % options.EvalEverySteps == 0 : epochEnd);
            bool improved = false;
            if (evaluate)
            {
                lastEval = task.Evaluate(options.EvalLimit);
                evaluations.Add(new StepEvaluation(step, lastEval));
                if (options.SelectBy?.Invoke(lastEval) is double score && (best is null || score > best.Value.Score))
                {
                    best = (step, Snapshot(model), score);
                    improved = true;
                }
            }
            if (evaluate || step % options.ProgressEverySteps == 0 || stop)
            {
                double rate = sessionItems / Math.Max(1e-9, trainSeconds);
                double remaining = (totalSteps - step) * (double)options.BatchSize * task.ItemsPerExample / Math.Max(1e-9, rate);
                options.Progress?.Invoke(new TrainingProgress(step, totalSteps, epoch, lr, lossSum / lossCount,
                    counted == 0 ? 0 : (double)correct / counted, rate, TimeSpan.FromSeconds(remaining), evaluate ? lastEval : null));
                lossSum = 0;
                lossCount = correct = counted = 0;
            }
            bool checkpoint = last || stop || epochEnd || (options.CheckpointEverySteps > 0 && step % options.CheckpointEverySteps == 0);
            if (checkpoint && options.CheckpointDirectory is { } folder)
            {
                if (improved) TrainingCheckpoint.SaveBest(folder, best!.Value.Weights);   // before state.json names it
                TrainingCheckpoint.Save(folder, model, optimizer, new TrainingState
                {
                    Step = step, TotalSteps = totalSteps, Epoch = (int)(step / stepsPerEpoch), Seed = options.Seed,
                    BatchSize = options.BatchSize, Optimizer = optimizer.GetType().Name, OptimizerSteps = optimizer.StepCount,
                    Rng = "counter-based SplitMix64: order (seed, 1, epoch), batch (seed, 2, epoch, step in epoch)",
                    TrainingSeconds = priorSeconds + trainSeconds, Threads = Parallelism.Threads,
                    Evaluations = evaluations, SelectedStep = best?.Step, SelectedScore = best?.Score,
                });
            }
            if (stop && !last) break;
        }
        bool completed = step == totalSteps;
        if (completed && best is { } chosen) TrainingCheckpoint.Restore(model, chosen.Weights);
        model.Eval();
        return new TrainingResult(step, totalSteps, completed, priorSeconds + trainSeconds,
            sessionItems / Math.Max(1e-9, trainSeconds), lastEval, Parallelism.Threads, evaluations, best?.Step);
    }

    /// <summary>A copy of every parameter and buffer, by path.</summary>
    private static Dictionary<string, float[]> Snapshot(RootModule model) =>
        model.Parameters().ToDictionary(p => p.Path, p => p.Value.Data.ToArray());

    /// <summary>One optimizer step on one batch.</summary>
    internal static void TrainStep(ITrainingTask task, Optimizer optimizer, Parameter[] trainable, ReadOnlySpan<int> examples,
        TrainingRandom rng, float learningRate, float? clipNorm, out BatchLoss batch)
    {
        GradStore grads;
        using (var tape = new Tape())
        {
            foreach (Parameter p in trainable) tape.Watch(p.Value);
            batch = task.Loss(examples, rng);
            grads = tape.Backward(batch.Loss);
        }
        if (clipNorm is { } maxNorm) ClipGradNorm(trainable, grads, maxNorm);
        optimizer.Step(grads, learningRate);
    }

    /// <summary>Scales all gradients by min(1, maxNorm / (‖g‖₂ + 1e-6)), as torch.nn.utils.clip_grad_norm_.</summary>
    /// <returns>The global norm before clipping.</returns>
    public static double ClipGradNorm(IReadOnlyList<Parameter> parameters, GradStore grads, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(grads);
        double sum = 0;
        foreach (Parameter p in parameters)
            if (grads[p.Value] is { } g)
                foreach (float v in g.Data) sum += (double)v * v;
        double norm = Math.Sqrt(sum);
        float scale = (float)(maxNorm / (norm + 1e-6));
        if (scale < 1f)
            foreach (Parameter p in parameters)
                if (grads[p.Value] is { } g)
                    System.Numerics.Tensors.TensorPrimitives.Multiply(g.Data, scale, g.Data);
        return norm;
    }
}
