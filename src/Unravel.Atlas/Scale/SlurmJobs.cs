// Writes a sharded collection as Slurm batch scripts: collect.sbatch, a job array of N tasks (`--array=0-(N-1)`) each
// running `unravel collect ... --shard auto`; merge.sbatch, the merge job; and submit.sh, which submits the array and
// then the merge with `--dependency=afterok:<array>` (so it starts only when every task succeeded, and
// `--kill-on-invalid-dep=yes` cancels it when one failed). Every script records the command that wrote it.

using System.Text;

namespace Unravel.Atlas.Scale;

/// <summary>Writes the Slurm scripts of a sharded collection.</summary>
public static class SlurmJobs
{
    /// <summary>The array script's name in the scripts folder.</summary>
    public const string CollectScript = "collect.sbatch";

    /// <summary>The merge script's name.</summary>
    public const string MergeScript = "merge.sbatch";

    /// <summary>The submitting script's name.</summary>
    public const string SubmitScript = "submit.sh";

    /// <summary>The three scripts' text by file name.</summary>
    /// <param name="job">What runs.</param>
    /// <param name="options">Slurm options.</param>
    /// <param name="folder">Absolute folder the scripts and logs go to.</param>
    /// <param name="writtenBy">The command line that wrote them (recorded in each).</param>
    public static IReadOnlyDictionary<string, string> Scripts(ShardedCollect job, SlurmOptions options, string folder, string writtenBy)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(options);
        string collect = Header(writtenBy, $"Collection array: {job.Shards} tasks, each `unravel collect --shard auto` into {job.ShardsFolder}/shard-<task>.")
            + Directives(options, options.JobName + "-collect", Path.Combine(folder, "collect-%A_%a.log"))
            + $"#SBATCH --array=0-{job.Shards - 1}\n\nset -euo pipefail\n"
            + $"mkdir -p {ShellWords.Quote(job.ShardsFolder)}\n"
            // The task number is the one word left unquoted, for the shell to expand.
            + ShellWords.Join(job.CollectCommand("@TASK@")).Replace("@TASK@", "\"$SLURM_ARRAY_TASK_ID\"", StringComparison.Ordinal) + "\n";
        string merge = Header(writtenBy, $"Merge job: runs after every task of the array succeeded; writes {job.Out}.")
            + Directives(options, options.JobName + "-merge", Path.Combine(folder, "merge-%j.log"))
            + "\nset -euo pipefail\n" + ShellWords.Join(job.MergeCommand()) + "\n";
        string submit = Header(writtenBy, "Submits the collection array, then the merge job with --dependency=afterok on it.")
            + "set -euo pipefail\ncd \"$(dirname \"$0\")\"\n"
            + $"array=$(sbatch --parsable {CollectScript})\narray=${{array%%;*}}\n"
            + $"merge=$(sbatch --parsable --dependency=afterok:\"$array\" --kill-on-invalid-dep=yes {MergeScript})\nmerge=${{merge%%;*}}\n"
            + $"echo \"submitted collection array $array ({job.Shards} tasks) and merge job $merge (after all succeed)\"\n"
            + $"echo \"watch: squeue -j $array,$merge   logs: {folder}\"\n";
        return new Dictionary<string, string> { [CollectScript] = collect, [MergeScript] = merge, [SubmitScript] = submit };
    }

    private static string Header(string writtenBy, string what) =>
        $"#!/bin/bash\n# {what}\n# Written by: {writtenBy.ReplaceLineEndings(" ")}\n";

    private static string Directives(SlurmOptions o, string name, string log)
    {
        var sb = new StringBuilder();
        sb.Append($"#SBATCH --job-name={name}\n#SBATCH --chdir={o.WorkingDirectory}\n#SBATCH --output={log}\n");
        if (o.Partition is not null) sb.Append($"#SBATCH --partition={o.Partition}\n");
        if (o.Time is not null) sb.Append($"#SBATCH --time={o.Time}\n");
        if (o.Cpus is { } c) sb.Append($"#SBATCH --cpus-per-task={c}\n");
        return sb.ToString();
    }
}
