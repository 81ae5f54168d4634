// Writes a sharded collection as Kubernetes manifests: collect.yaml, an Indexed Job (completionMode: Indexed,
// completions = parallelism = N) whose pods run `unravel collect ... --shard auto --shards N` with
// JOB_COMPLETION_INDEX from the downward API; merge.yaml, the Job that merges the shards; and submit.sh, which applies
// the first, waits for its Complete condition (Kubernetes has no afterok between Jobs) and applies the second. The
// YAML uses JSON-quoted strings, so every argument reaches the container exactly.

using System.Text;
using System.Text.Json;

namespace Unravel.Atlas.Scale;

/// <summary>Writes the Kubernetes manifests of a sharded collection.</summary>
public static class KubernetesJobs
{
    /// <summary>The Indexed Job's file name.</summary>
    public const string CollectManifest = "collect.yaml";

    /// <summary>The merge Job's file name.</summary>
    public const string MergeManifest = "merge.yaml";

    /// <summary>The submitting script's name.</summary>
    public const string SubmitScript = "submit.sh";

    /// <summary>The manifests and script by file name.</summary>
    /// <param name="job">What runs.</param>
    /// <param name="options">Image, names, volume and resources.</param>
    /// <param name="writtenBy">The command line that wrote them (recorded in each).</param>
    public static IReadOnlyDictionary<string, string> Manifests(ShardedCollect job, KubernetesOptions options, string writtenBy)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(options);
        string by = $"# Written by: {writtenBy.ReplaceLineEndings(" ")}\n";
        string collect = $"# Indexed Job: {job.Shards} pods, each `unravel collect --shard auto` into {job.ShardsFolder}/shard-<index>.\n" + by
            + Job(options, options.JobName + "-collect", job.Shards, job.CollectCommand("$(JOB_COMPLETION_INDEX)", withShards: true), indexed: true);
        string merge = "# Merge Job: apply after the collection Job is Complete; writes " + job.Out + ".\n" + by
            + Job(options, options.JobName + "-merge", 1, job.MergeCommand(), indexed: false);
        string collectJob = options.JobName + "-collect";
        string submit = "#!/bin/bash\n# Applies the collection Job, waits until every index succeeded, then applies the merge Job.\n" + by
            + "set -euo pipefail\ncd \"$(dirname \"$0\")\"\n"
            + $"kubectl apply -f {CollectManifest}\n"
            + $"kubectl wait --for=condition=complete --timeout=-1s job/{collectJob}\n"
            + $"kubectl apply -f {MergeManifest}\n";
        return new Dictionary<string, string> { [CollectManifest] = collect, [MergeManifest] = merge, [SubmitScript] = submit };
    }

    private static string Job(KubernetesOptions o, string name, int completions, IReadOnlyList<string> command, bool indexed)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: batch/v1\nkind: Job\nmetadata:\n").Append($"  name: {name}\n  labels:\n    app.kubernetes.io/name: unravel\n");
        sb.Append("spec:\n");
        if (indexed) sb.Append($"  completionMode: Indexed\n  completions: {completions}\n  parallelism: {completions}\n");
        sb.Append("  backoffLimit: 3\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n");
        sb.Append($"        - name: unravel\n          image: {Q(o.Image)}\n");
        if (o.Claim is not null) sb.Append($"          workingDir: {Q(o.Mount)}\n");
        sb.Append("          command: [").Append(string.Join(", ", command.Select(Q))).Append("]\n");
        if (indexed)
            sb.Append("          env:\n            - name: JOB_COMPLETION_INDEX\n              valueFrom:\n                fieldRef:\n")
              .Append("                  fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']\n");
        if (o.Cpus is not null || o.Memory is not null)
        {
            string limits = string.Join(", ", new[] { o.Cpus is { } c ? $"cpu: {Q(c.ToString(System.Globalization.CultureInfo.InvariantCulture))}" : null,
                o.Memory is { } m ? $"memory: {Q(m)}" : null }.Where(x => x is not null));
            sb.Append($"          resources:\n            requests: {{{limits}}}\n            limits: {{{limits}}}\n");
        }
        if (o.Claim is not null)
        {
            sb.Append($"          volumeMounts:\n            - name: work\n              mountPath: {Q(o.Mount)}\n");
            sb.Append($"      volumes:\n        - name: work\n          persistentVolumeClaim:\n            claimName: {Q(o.Claim)}\n");
        }
        return sb.ToString();
    }

    // A JSON string is a YAML double-quoted scalar.
    private static string Q(string text) => JsonSerializer.Serialize(text);
}
