// `unravel k8s collect MODEL --data D --layers L --out ATLAS --shards N --image IMG [--pvc CLAIM]`: writes a
// Kubernetes Indexed Job (N pods of `unravel collect --shard auto --shards N`) and the merge Job (KubernetesJobs), plus
// submit.sh that applies them in order, into ATLAS.k8s/. Paths are as the pods see them (under the claim's mount).

using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Unravel.Atlas.Scale;

namespace Unravel.Cli;

internal static partial class K8sCommand
{
    private static readonly Option<int> ShardsOption = new("--shards") { Description = "Number of indexed pods (completions).", Required = true };
    private static readonly Option<string> ImageOption = new("--image") { Description = "Container image with unravel on its PATH.", Required = true };
    private static readonly Option<string?> PvcOption = new("--pvc") { Description = "PersistentVolumeClaim holding model, data and atlas, mounted at --mount." };
    private static readonly Option<string> MountOption = new("--mount") { Description = "Mount path of --pvc, also the working directory.", DefaultValueFactory = _ => "/work" };
    private static readonly Option<int?> CpusOption = new("--cpus") { Description = "CPU request and limit per pod." };
    private static readonly Option<string?> MemoryOption = new("--memory") { Description = "Memory request and limit per pod, e.g. 4Gi." };
    private static readonly Option<string> JobNameOption = new("--job-name") { Description = "Job name prefix (lowercase letters, digits, '-').", DefaultValueFactory = _ => "unravel" };
    private static readonly Option<string?> ManifestsOption = new("--manifests") { Description = "Folder for the manifests (default: ATLAS.k8s here)." };
    private static readonly Option<string> UnravelOption = new("--unravel") { Description = "How the pods start unravel.", DefaultValueFactory = _ => "unravel" };

    public static Command Create()
    {
        Command collect = new("collect", "Write an Indexed Job of `unravel collect --shard auto` plus the merge Job; the collect options pass through.")
        {
            ShardsOption, ImageOption, PvcOption, MountOption, CpusOption, MemoryOption, JobNameOption, ManifestsOption, UnravelOption,
        };
        collect.TreatUnmatchedTokensAsErrors = false;   // the rest is collect's arguments, checked by parsing them as collect
        collect.SetAction(parse => Run(new Request(parse.UnmatchedTokens, parse.GetValue(ShardsOption), parse.GetValue(ImageOption)!)
        {
            Pvc = parse.GetValue(PvcOption), Mount = parse.GetValue(MountOption)!, Cpus = parse.GetValue(CpusOption), Memory = parse.GetValue(MemoryOption),
            JobName = parse.GetValue(JobNameOption)!, Manifests = parse.GetValue(ManifestsOption), Unravel = parse.GetValue(UnravelOption)!,
        }, Console.Out));
        return new Command("k8s", "Write Kubernetes Jobs that run a command sharded over an Indexed Job.") { collect };
    }

    internal sealed record Request(IReadOnlyList<string> CollectArguments, int Shards, string Image)
    {
        public string? Pvc { get; init; }
        public string Mount { get; init; } = "/work";
        public int? Cpus { get; init; }
        public string? Memory { get; init; }
        public string JobName { get; init; } = "unravel";
        public string? Manifests { get; init; }
        public string Unravel { get; init; } = "unravel";
    }

    internal static int Run(Request r, TextWriter output)
    {
        if (r.Cpus is < 1) throw new UnravelUserException($"--cpus must be at least 1 (got {r.Cpus}).");
        if (r.Memory is not null && !Quantity().IsMatch(r.Memory))
            throw new UnravelUserException($"--memory {r.Memory} is not a Kubernetes quantity.", "e.g. --memory 4Gi or --memory 512Mi");
        if (!DnsLabel().IsMatch(r.JobName) || r.JobName.Length > 50)
            throw new UnravelUserException($"--job-name {r.JobName} is not a DNS-1123 label.", "use lowercase letters, digits and '-', e.g. --job-name unravel-fashion");
        ClusterCollect.Word(r.Image, "--image");
        ClusterCollect.Word(r.Pvc, "--pvc");
        if (!r.Mount.StartsWith('/')) throw new UnravelUserException($"--mount {r.Mount} is not an absolute path.", "e.g. --mount /work");
        ShardedCollect job = ClusterCollect.Plan(r.CollectArguments, r.Shards, r.Unravel, absoluteOut: false);
        string folder = Path.GetFullPath(r.Manifests ?? Path.GetFileName(job.Out.TrimEnd('/')) + ".k8s");
        var own = new List<string> { "--shards", r.Shards.ToString(CultureInfo.InvariantCulture), "--image", r.Image };
        if (r.Pvc is not null) own.AddRange(["--pvc", r.Pvc, "--mount", r.Mount]);
        if (r.Cpus is { } c) own.AddRange(["--cpus", c.ToString(CultureInfo.InvariantCulture)]);
        if (r.Memory is not null) own.AddRange(["--memory", r.Memory]);
        if (r.JobName != "unravel") own.AddRange(["--job-name", r.JobName]);
        if (r.Unravel != "unravel") own.AddRange(["--unravel", r.Unravel]);
        IReadOnlyDictionary<string, string> files = KubernetesJobs.Manifests(job, new KubernetesOptions(r.Image, r.JobName, r.Pvc, r.Mount, r.Cpus, r.Memory),
            ClusterCollect.WrittenBy("k8s", r.CollectArguments, own));
        Directory.CreateDirectory(folder);
        foreach ((string name, string text) in files) File.WriteAllText(Path.Combine(folder, name), text);
        output.WriteLine($"wrote {Path.Combine(folder, KubernetesJobs.CollectManifest)} (Indexed Job, {r.Shards} pods → {job.ShardsFolder}), {KubernetesJobs.MergeManifest} (→ {job.Out}), {KubernetesJobs.SubmitScript}");
        output.WriteLine($"submit: bash {Path.Combine(folder, KubernetesJobs.SubmitScript)}");
        return ExitCodes.Success;
    }

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$")]
    private static partial Regex Quantity();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
