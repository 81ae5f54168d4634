// `--shard auto`: which shard this process is, read from the environment the scheduler gives each task. Slurm job
// arrays set SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN/MAX (and _STEP for
// --array=0-6:2); Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX but not the completions count, so that one needs
// --shards N; Open MPI sets OMPI_COMM_WORLD_RANK/SIZE. A partial set (an ID without a count, a count that does not
// hold the ID) is refused rather than guessed: a wrong guess would silently collect the wrong slice.

using System.Globalization;

namespace Unravel.Atlas.Scale;

/// <summary>Resolves a shard from a scheduler's environment variables.</summary>
public static class SchedulerShard
{
    /// <summary>The shard of "i/n" or "auto" (from the environment), with where it came from.</summary>
    /// <param name="text">The option's value: "i/n", "auto", or "auto/N" (N shards, as --shards N).</param>
    /// <param name="shards">--shards N: needed for a Kubernetes Indexed Job, a cross-check elsewhere; null when absent.</param>
    /// <param name="environment">Reads one variable (null = unset); <see cref="Environment.GetEnvironmentVariable(string)"/> in the tool.</param>
    /// <param name="option">The option's name, for messages ("--shard").</param>
    /// <exception cref="UnravelException">Malformed text, no or an incomplete scheduler environment, or --shards that disagrees.</exception>
    public static (Shard Shard, string Source) Resolve(string text, int? shards, Func<string, string?> environment, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(environment);
        if (shards is < 1) throw new UnravelException($"--shards must be at least 1 (got {shards}).", "pass the number of tasks, e.g. --shards 4");
        if (text.StartsWith("auto/", StringComparison.Ordinal))
        {
            if (shards is not null || !int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1)
                throw new UnravelException($"{option} {text} is not auto/N with N ≥ 1 (and no --shards).", $"e.g. {option} auto/8");
            (text, shards) = ("auto", count);
        }
        if (text != "auto")
        {
            if (shards is not null) throw new UnravelException($"--shards goes with {option} auto, not with {option} {text}.", $"drop --shards, or pass {option} auto");
            return (Shard.Parse(text, option), "command line");
        }
        (Shard shard, string source) = FromSlurm(environment) ?? FromIndexedJob(environment, shards, option) ?? FromMpi(environment)
            ?? throw new UnravelException($"{option} auto: no scheduler environment found (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or OMPI_COMM_WORLD_RANK).",
                $"run it as a task of `sbatch --array`, a Kubernetes Indexed Job or `mpirun`, or pass {option} i/n");
        if (shards is { } n && n != shard.Count)
            throw new UnravelException($"{option} auto: {source} gives {shard.Count} shards, but --shards says {n}.", $"make --shards equal the number of tasks, or drop it");
        return (shard, source);
    }

    private static (Shard, string)? FromSlurm(Func<string, string?> env)
    {
        string? id = env("SLURM_ARRAY_TASK_ID");
        if (id is null) return null;
        string? countText = env("SLURM_ARRAY_TASK_COUNT"), minText = env("SLURM_ARRAY_TASK_MIN"), maxText = env("SLURM_ARRAY_TASK_MAX");
        string? stepText = env("SLURM_ARRAY_TASK_STEP");
        const string hint = "submit with `sbatch --array=0-(N-1)` (Slurm sets SLURM_ARRAY_TASK_COUNT, _MIN and _MAX), or pass --shard i/n";
        int task = Number("SLURM_ARRAY_TASK_ID", id, hint);
        int min = minText is null ? 0 : Number("SLURM_ARRAY_TASK_MIN", minText, hint);
        int step = stepText is null ? 1 : Number("SLURM_ARRAY_TASK_STEP", stepText, hint);
        if (step < 1) throw new UnravelException($"SLURM_ARRAY_TASK_STEP={stepText} is not a positive step.", hint);
        int count;
        string source;
        if (countText is not null)
        {
            count = Number("SLURM_ARRAY_TASK_COUNT", countText, hint);
            source = $"SLURM_ARRAY_TASK_ID={task}, SLURM_ARRAY_TASK_COUNT={count}" + (minText is null ? "" : $", SLURM_ARRAY_TASK_MIN={min}");
        }
        else if (minText is not null && maxText is not null)
        {
            int max = Number("SLURM_ARRAY_TASK_MAX", maxText, hint);
            if (max < min) throw new UnravelException($"SLURM_ARRAY_TASK_MAX={max} is below SLURM_ARRAY_TASK_MIN={min}.", hint);
            count = (max - min) / step + 1;
            source = $"SLURM_ARRAY_TASK_ID={task}, SLURM_ARRAY_TASK_MIN={min}, SLURM_ARRAY_TASK_MAX={max}";
        }
        else
        {
            throw new UnravelException($"SLURM_ARRAY_TASK_ID={task} is set, but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN and _MAX are: the number of shards is unknown.", hint);
        }
        if (step != 1) source += $", SLURM_ARRAY_TASK_STEP={step}";
        int index = (task - min) / step;
        // An array like --array=0,2,5 has gaps: the task number alone does not give a dense shard index.
        if (task < min || (task - min) % step != 0 || count < 1 || index >= count)
            throw new UnravelException($"{source}: task {task} is not one of {count} evenly spaced tasks from {min}.",
                "use a contiguous array such as --array=0-3 (a %limit is fine), or pass --shard i/n");
        return (new Shard(index, count), "Slurm job array (" + source + ")");
    }

    private static (Shard, string)? FromIndexedJob(Func<string, string?> env, int? shards, string option)
    {
        string? indexText = env("JOB_COMPLETION_INDEX");
        if (indexText is null) return null;
        string hint = $"pass --shards N or {option} auto/N with N the Job's spec.completions (Kubernetes does not tell the pod)";
        int index = Number("JOB_COMPLETION_INDEX", indexText, hint);
        if (shards is not { } n)
            throw new UnravelException($"{option} auto: JOB_COMPLETION_INDEX={index} is set (a Kubernetes Indexed Job), but the number of shards is unknown.", hint);
        if (index >= n) throw new UnravelException($"JOB_COMPLETION_INDEX={index} is not below --shards {n}.", hint);
        return (new Shard(index, n), $"Kubernetes Indexed Job (JOB_COMPLETION_INDEX={index}, {n} shards)");
    }

    private static (Shard, string)? FromMpi(Func<string, string?> env)
    {
        string? rankText = env("OMPI_COMM_WORLD_RANK");
        string? sizeText = env("OMPI_COMM_WORLD_SIZE");
        if (rankText is null && sizeText is null) return null;
        const string hint = "launch with `mpirun -np N` (Open MPI sets both OMPI_COMM_WORLD_RANK and OMPI_COMM_WORLD_SIZE), or pass --shard i/n";
        if (rankText is null || sizeText is null)
            throw new UnravelException($"only {(rankText is null ? "OMPI_COMM_WORLD_SIZE" : "OMPI_COMM_WORLD_RANK")} of the Open MPI pair is set.", hint);
        int rank = Number("OMPI_COMM_WORLD_RANK", rankText, hint), size = Number("OMPI_COMM_WORLD_SIZE", sizeText, hint);
        if (size < 1 || rank >= size) throw new UnravelException($"OMPI_COMM_WORLD_RANK={rank} is not below OMPI_COMM_WORLD_SIZE={size}.", hint);
        return (new Shard(rank, size), $"Open MPI (OMPI_COMM_WORLD_RANK={rank}, OMPI_COMM_WORLD_SIZE={size})");
    }

    private static int Number(string name, string text, string hint) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
            : throw new UnravelException($"{name}={text} is not a non-negative integer.", hint);
}
