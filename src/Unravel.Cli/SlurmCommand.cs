// `unravel slurm collect MODEL --data D --layers L --out ATLAS --shards N [--partition P --time T --cpus C]`: writes
// a ready Slurm job array (N tasks of `unravel collect --shard auto`) and the merge job that runs after all of them
// succeeded (SlurmJobs), plus submit.sh, into ATLAS.slurm/. Every collect option passes through unchanged.

using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Unravel.Atlas.Scale;

namespace Unravel.Cli;

internal static partial class SlurmCommand
{
    private static readonly Option<int> ShardsOption = new("--shards") { Description = "Number of array tasks (shards).", Required = true };
    private static readonly Option<string?> PartitionOption = new("--partition") { Description = "Slurm partition (default: the cluster's)." };
    private static readonly Option<string?> TimeOption = new("--time") { Description = "Time limit per job, e.g. 2:00:00 or 1-00:00:00." };
    private static readonly Option<int?> CpusOption = new("--cpus") { Description = "CPUs per task (--cpus-per-task)." };
    private static readonly Option<string> JobNameOption = new("--job-name") { Description = "Job name prefix.", DefaultValueFactory = _ => "unravel" };
    private static readonly Option<string?> ScriptsOption = new("--scripts") { Description = "Folder for the scripts and logs (default: ATLAS.slurm)." };
    private static readonly Option<string> UnravelOption = new("--unravel") { Description = "How the jobs start unravel.", DefaultValueFactory = _ => "unravel" };

    public static Command Create()
    {
        Command collect = new("collect", "Write a job array of `unravel collect --shard auto` plus the afterok merge job; the collect options pass through.")
        {
            ShardsOption, PartitionOption, TimeOption, CpusOption, JobNameOption, ScriptsOption, UnravelOption,
        };
        collect.TreatUnmatchedTokensAsErrors = false;   // the rest is collect's arguments, checked by parsing them as collect
        collect.SetAction(parse => Run(new Request(parse.UnmatchedTokens, parse.GetValue(ShardsOption))
        {
            Partition = parse.GetValue(PartitionOption), Time = parse.GetValue(TimeOption), Cpus = parse.GetValue(CpusOption),
            JobName = parse.GetValue(JobNameOption)!, Scripts = parse.GetValue(ScriptsOption), Unravel = parse.GetValue(UnravelOption)!,
        }, Console.Out));
        return new Command("slurm", "Write Slurm job scripts that run a command sharded over a job array.") { collect };
    }

    internal sealed record Request(IReadOnlyList<string> CollectArguments, int Shards)
    {
        public string? Partition { get; init; }
        public string? Time { get; init; }
        public int? Cpus { get; init; }
        public string JobName { get; init; } = "unravel";
        public string? Scripts { get; init; }
        public string Unravel { get; init; } = "unravel";
    }

    internal static int Run(Request r, TextWriter output)
    {
        if (r.Cpus is < 1) throw new UnravelUserException($"--cpus must be at least 1 (got {r.Cpus}).");
        if (r.Time is not null && !SlurmTime().IsMatch(r.Time))
            throw new UnravelUserException($"--time {r.Time} is not a Slurm time limit.", "e.g. --time 30 (minutes), --time 2:00:00 or --time 1-12:00:00");
        ClusterCollect.Word(r.Partition, "--partition");
        ClusterCollect.Word(r.JobName, "--job-name");
        ShardedCollect job = ClusterCollect.Plan(r.CollectArguments, r.Shards, r.Unravel, absoluteOut: true);
        string folder = Path.GetFullPath(r.Scripts ?? job.Out + ".slurm");
        string cwd = Directory.GetCurrentDirectory();
        if ((folder + cwd).Any(char.IsWhiteSpace)) throw new UnravelUserException($"{folder} or the working directory {cwd} contains white space.", "run from, and write to, paths without spaces");
        var own = new List<string> { "--shards", r.Shards.ToString(CultureInfo.InvariantCulture) };
        if (r.Partition is not null) own.AddRange(["--partition", r.Partition]);
        if (r.Time is not null) own.AddRange(["--time", r.Time]);
        if (r.Cpus is { } c) own.AddRange(["--cpus", c.ToString(CultureInfo.InvariantCulture)]);
        if (r.JobName != "unravel") own.AddRange(["--job-name", r.JobName]);
        if (r.Scripts is not null) own.AddRange(["--scripts", r.Scripts]);
        if (r.Unravel != "unravel") own.AddRange(["--unravel", r.Unravel]);
        IReadOnlyDictionary<string, string> scripts = SlurmJobs.Scripts(job, new SlurmOptions(r.Partition, r.Time, r.Cpus, r.JobName, cwd), folder,
            ClusterCollect.WrittenBy("slurm", r.CollectArguments, own));
        Directory.CreateDirectory(folder);
        foreach ((string name, string text) in scripts)
        {
            string path = Path.Combine(folder, name);
            File.WriteAllText(path, text);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        output.WriteLine($"wrote {Path.Combine(folder, SlurmJobs.CollectScript)} (array 0-{r.Shards - 1} → {job.ShardsFolder}), {SlurmJobs.MergeScript} (afterok → {job.Out}), {SlurmJobs.SubmitScript}");
        output.WriteLine($"submit: bash {Path.Combine(folder, SlurmJobs.SubmitScript)}");
        return ExitCodes.Success;
    }

    [GeneratedRegex(@"^(\d+-)?\d+(:\d{1,2}){0,2}$")]
    private static partial Regex SlurmTime();
}
