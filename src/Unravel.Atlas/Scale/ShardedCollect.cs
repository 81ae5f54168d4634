// A collection fanned out over a scheduler: N tasks each run `unravel collect ... --shard auto` into
// OUT.shards/shard-<i>, and one merge job runs `unravel merge` over all of them into OUT once every task succeeded.
// SlurmJobs and KubernetesJobs write it as a job array or an Indexed Job; both record these exact command lines.

using System.Globalization;

namespace Unravel.Atlas.Scale;

/// <summary>What a sharded collection runs.</summary>
/// <param name="Unravel">The command that starts unravel on the workers ("unravel", or "dotnet", "/opt/unravel/unravel.dll").</param>
/// <param name="CollectArguments">The arguments of `collect` without --out and --shard (already checked by the caller).</param>
/// <param name="Out">The merged atlas, an absolute path the workers can reach.</param>
/// <param name="Shards">Number of tasks.</param>
/// <param name="MergeArguments">Options of `merge` besides the shards and --out (--crops, --force).</param>
public sealed record ShardedCollect(IReadOnlyList<string> Unravel, IReadOnlyList<string> CollectArguments, string Out, int Shards,
    IReadOnlyList<string> MergeArguments)
{
    /// <summary>The folder holding the shard atlases: OUT.shards.</summary>
    public string ShardsFolder => Out.TrimEnd('/') + ".shards";

    /// <summary>The shard atlas of task <paramref name="index"/> (a number, or a shell/Kubernetes variable reference).</summary>
    public string ShardPath(string index) => ShardsFolder + "/shard-" + index;

    /// <summary>One task's command: collect into the shard atlas named by <paramref name="index"/>, with --shard auto.</summary>
    public IReadOnlyList<string> CollectCommand(string index, bool withShards = false) =>
        [.. Unravel, "collect", .. CollectArguments, "--out", ShardPath(index), "--shard", "auto",
         .. withShards ? new[] { "--shards", Shards.ToString(CultureInfo.InvariantCulture) } : []];

    /// <summary>The merge job's command: every shard atlas, in task order, into <see cref="Out"/>.</summary>
    public IReadOnlyList<string> MergeCommand() =>
        [.. Unravel, "merge", .. Enumerable.Range(0, Shards).Select(i => ShardPath(i.ToString(CultureInfo.InvariantCulture))), "--out", Out, .. MergeArguments];
}
