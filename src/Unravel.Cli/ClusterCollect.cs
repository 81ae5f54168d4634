// The part `unravel slurm collect` and `unravel k8s collect` share: the collect arguments they pass through are checked
// by parsing them as the real `collect` command (with the --out and --shard auto the jobs use), --out is taken out to
// become the merged atlas, and the result is the ShardedCollect the job writers turn into scripts or manifests.

using System.CommandLine;
using System.Text.RegularExpressions;
using Unravel.Atlas.Scale;

namespace Unravel.Cli;

internal static partial class ClusterCollect
{
    /// <summary>The plan of a sharded collection from the pass-through `collect` arguments.</summary>
    /// <param name="collectArguments">Everything after `collect` that is not an option of the cluster command.</param>
    /// <param name="shards">--shards.</param>
    /// <param name="unravel">--unravel: how the workers start unravel (split on spaces).</param>
    /// <param name="absoluteOut">Whether --out is made absolute (Slurm: the jobs run on this file system).</param>
    /// <exception cref="UnravelUserException">No --out, a --shard of its own, or arguments `collect` refuses.</exception>
    public static ShardedCollect Plan(IReadOnlyList<string> collectArguments, int shards, string unravel, bool absoluteOut)
    {
        if (shards < 1) throw new UnravelUserException($"--shards must be at least 1 (got {shards}).", "pass the number of tasks, e.g. --shards 8");
        string[] launcher = unravel.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (launcher.Length == 0) throw new UnravelUserException("--unravel is empty.", "pass the command that starts unravel on the workers, e.g. --unravel unravel");
        string? outPath = null;
        var rest = new List<string>();
        for (int i = 0; i < collectArguments.Count; i++)
        {
            string t = collectArguments[i];
            if (t is "--out" or "-o")
            {
                if (i + 1 >= collectArguments.Count) throw new UnravelUserException("--out needs a value.", "e.g. --out atlas");
                outPath = collectArguments[++i];
            }
            else if (t.StartsWith("--out=", StringComparison.Ordinal) || t.StartsWith("--out:", StringComparison.Ordinal))
            {
                outPath = t["--out=".Length..];
            }
            else if (t.StartsWith("--shard", StringComparison.Ordinal))
            {
                throw new UnravelUserException($"{t}: the jobs pass --shard auto themselves.", "drop --shard from the collect arguments; --shards N sets the number of tasks");
            }
            else
            {
                rest.Add(t);
            }
        }
        if (outPath is null)
            throw new UnravelUserException("collect needs --out ATLAS (the merged atlas).", "e.g. unravel slurm collect MODEL --data DATA --layers L --out atlas --shards 8");
        if (absoluteOut) outPath = Path.GetFullPath(outPath);
        if (outPath.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new UnravelUserException($"--out '{outPath}' contains white space.", "pick an atlas path without spaces (it becomes a scheduler log and job path)");
        ParseResult parse = CliCommands.Create().Parse(["collect", .. rest, "--out", outPath, "--shard", "auto"]);
        if (parse.Errors.Count > 0)
            throw new UnravelUserException($"collect: {parse.Errors[0].Message}", "check the collect arguments with `unravel collect --help`");
        string[] merge = [.. new[] { "--crops", "--force" }.Where(rest.Contains)];
        return new ShardedCollect(launcher, rest, outPath, shards, merge);
    }

    /// <summary>The command line that wrote the scripts, as it is recorded in them.</summary>
    public static string WrittenBy(string command, IReadOnlyList<string> collectArguments, IEnumerable<string> own) =>
        "unravel " + command + " collect " + ShellWords.Join([.. collectArguments, .. own]);

    /// <summary>Refuses a value that would break a generated line (white space, quotes, control characters).</summary>
    public static string? Word(string? value, string option)
    {
        if (value is null) return null;
        if (value.Length == 0 || !SafeWord().IsMatch(value))
            throw new UnravelUserException($"{option} '{value}' is not a plain word.", $"pass {option} without spaces or quotes");
        return value;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.:/@%+=,-]+$")]
    private static partial Regex SafeWord();
}
