// `unravel slurm collect` and `unravel k8s collect`: the generated job array / Indexed Job and merge job, read back
// as a shell or the pod would read them (bash -n for syntax, quoting undone, the scheduler's variable filled in), parse
// as the real `collect --shard auto` and `merge` commands; every bad option value exits 2 with one message and a hint.

using System.CommandLine;
using System.Text;
using System.Text.Json;

namespace Unravel.Cli.Tests;

public sealed class ClusterCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-cluster-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] CollectArgs(string name = "atlas") =>
        ["fashion-small-resnet", "--data", CliFixture.Images, "--layers", "layer2,layer3", "--k", "6", "--limit", "40", "--out", Path.Combine(_dir, name), "--crops"];

    [BashFact]
    public async Task Slurm_WritesArrayAndAfterokMerge_WhoseCommandsParse()
    {
        string[] args = ["slurm", "collect", .. CollectArgs(), "--shards", "4", "--partition", "cpu", "--time", "0:30:00", "--cpus", "2"];
        (int code, string output, string error) = await ScaleTestHelpers.Invoke(args);
        Assert.True(code == ExitCodes.Success, error);
        string folder = Path.Combine(_dir, "atlas.slurm");
        Assert.Contains($"submit: bash {folder}/submit.sh", output);
        string collect = File.ReadAllText(Path.Combine(folder, "collect.sbatch"));
        string merge = File.ReadAllText(Path.Combine(folder, "merge.sbatch"));
        string submit = File.ReadAllText(Path.Combine(folder, "submit.sh"));
        foreach (string line in new[] { "#SBATCH --array=0-3", "#SBATCH --partition=cpu", "#SBATCH --time=0:30:00", "#SBATCH --cpus-per-task=2",
            $"#SBATCH --chdir={Directory.GetCurrentDirectory()}", "#SBATCH --job-name=unravel-collect" })
            Assert.Contains(line + "\n", collect);
        Assert.Contains("#SBATCH --job-name=unravel-merge\n", merge);
        Assert.Contains("--dependency=afterok:\"$array\" --kill-on-invalid-dep=yes merge.sbatch", submit);
        Assert.Contains("# Written by: unravel slurm collect fashion-small-resnet --data ", collect);
        foreach (string script in new[] { collect, merge, submit }) BashSyntaxOk(script);

        // The task command, as bash gives it to unravel in task 2 of the array.
        string[] task = ShellWords(Line(collect, "unravel collect "), ("$SLURM_ARRAY_TASK_ID", "2"));
        ParseResult parsed = CliCommands.Create().Parse(task[1..]);
        Assert.Empty(parsed.Errors);
        Assert.Equal([.. CollectArgs().Where(a => a != Path.Combine(_dir, "atlas") && a != "--out"), "--out", Path.Combine(_dir, "atlas.shards", "shard-2"), "--shard", "auto"],
            task[2..]);
        string[] mergeCommand = ShellWords(Line(merge, "unravel merge "));
        Assert.Empty(CliCommands.Create().Parse(mergeCommand[1..]).Errors);
        Assert.Equal([.. Enumerable.Range(0, 4).Select(i => Path.Combine(_dir, "atlas.shards", $"shard-{i}")), "--out", Path.Combine(_dir, "atlas"), "--crops"],
            mergeCommand[2..]);
    }

    [BashFact]
    public async Task K8s_WritesIndexedJobAndMergeJob_WhoseCommandsParse()
    {
        string[] args = ["k8s", "collect", .. CollectArgs(), "--shards", "3", "--image", "registry.example/unravel:0.1", "--pvc", "unravel-work",
            "--cpus", "2", "--memory", "4Gi", "--manifests", Path.Combine(_dir, "k8s")];
        (int code, _, string error) = await ScaleTestHelpers.Invoke(args);
        Assert.True(code == ExitCodes.Success, error);
        string collect = File.ReadAllText(Path.Combine(_dir, "k8s", "collect.yaml"));
        string merge = File.ReadAllText(Path.Combine(_dir, "k8s", "merge.yaml"));
        foreach (string line in new[] { "kind: Job", "  completionMode: Indexed", "  completions: 3", "  parallelism: 3", "      restartPolicy: Never",
            "          image: \"registry.example/unravel:0.1\"", "            claimName: \"unravel-work\"", "          workingDir: \"/work\"",
            "                  fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']", "            limits: {cpu: \"2\", memory: \"4Gi\"}" })
            Assert.Contains(line + "\n", collect);
        Assert.DoesNotContain("Indexed", merge);
        BashSyntaxOk(File.ReadAllText(Path.Combine(_dir, "k8s", "submit.sh")));
        Assert.Contains("kubectl wait --for=condition=complete --timeout=-1s job/unravel-collect\n", File.ReadAllText(Path.Combine(_dir, "k8s", "submit.sh")));

        // Kubernetes replaces $(JOB_COMPLETION_INDEX) from the container's env; the rest reaches unravel as written.
        string[] pod = JsonSerializer.Deserialize<string[]>(Line(collect, "          command: ")["          command: ".Length..])!
            .Select(a => a.Replace("$(JOB_COMPLETION_INDEX)", "1", StringComparison.Ordinal)).ToArray();
        ParseResult parsed = CliCommands.Create().Parse(pod[1..]);
        Assert.Empty(parsed.Errors);
        Assert.Equal(["--out", Path.Combine(_dir, "atlas.shards", "shard-1"), "--shard", "auto", "--shards", "3"], pod[^6..]);
        string[] mergeCommand = JsonSerializer.Deserialize<string[]>(Line(merge, "          command: ")["          command: ".Length..])!;
        Assert.Empty(CliCommands.Create().Parse(mergeCommand[1..]).Errors);
        Assert.Equal(Path.Combine(_dir, "atlas.shards", "shard-2"), mergeCommand[4]);
    }

    public static TheoryData<string, string> Mistakes => new()
    {
        { "slurm collect {collect} --shards 0", "--shards must be at least 1" },
        { "slurm collect {collect} --shards 4 --cpus 0", "--cpus must be at least 1" },
        { "slurm collect {collect} --shards 4 --time soon", "--time soon is not a Slurm time limit" },
        { "slurm collect {collect} --shards 4 --partition a;b", "--partition 'a;b' is not a plain word" },
        { "slurm collect {collect} --shards 4 --shard 1/4", "--shard: the jobs pass --shard auto themselves" },
        { "slurm collect fashion-small-resnet --data {images} --layers layer2 --shards 4", "collect needs --out ATLAS" },
        { "slurm collect {collect} --shards 4 --k", "collect: " },
        { "k8s collect {collect} --shards 2 --image ima$ge", "--image 'ima$ge' is not a plain word" },
        { "k8s collect {collect} --shards 2 --image img --job-name Unravel_Job", "--job-name Unravel_Job is not a DNS-1123 label" },
        { "k8s collect {collect} --shards 2 --image img --memory lots", "--memory lots is not a Kubernetes quantity" },
        { "k8s collect {collect} --shards 2 --image img --pvc work --mount work", "--mount work is not an absolute path" },
        { "collect fashion-small-resnet --data {images} --layers layer2 --out {dir}/c --shards 4", "--shards goes with --shard auto" },
        { "collect fashion-small-resnet --data {images} --layers layer2 --out {dir}/c --shard 1/4 --shards 4", "--shards goes with --shard auto" },
        { "collect fashion-small-resnet --data {images} --layers layer2 --out {dir}/c --shard auto --shards 0", "--shards must be at least 1" },
        { "collect fashion-small-resnet --data {images} --layers layer2 --out {dir}/c --shard 4/4", "--shard 4/4 is not i/n" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task Mistake_ExitCode2_OneMessageAndHint(string command, string expected)
    {
        string line = command.Replace("{collect}", string.Join(" ", CollectArgs()), StringComparison.Ordinal)
            .Replace("{images}", CliFixture.Images, StringComparison.Ordinal).Replace("{dir}", _dir, StringComparison.Ordinal);
        (int code, _, string error) = await ScaleTestHelpers.Invoke(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(code == ExitCodes.UsageError, $"exit code {code} for `{command}`:\n{error}");
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        if (lines.Length > 1) Assert.StartsWith("hint: ", lines[1]);
        Assert.True(lines.Length <= 2, error);
    }

    [Fact]
    public async Task CollectShardAuto_WithoutAScheduler_IsRefused()
    {
        // The test host runs outside any scheduler: refuse rather than collect everything as "shard 0/1".
        (int code, _, string error) = await ScaleTestHelpers.Invoke(["collect", "fashion-small-resnet", "--data", CliFixture.Images, "--layers", "layer2", "--out", Path.Combine(_dir, "c"), "--shard", "auto"]);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.StartsWith("error: --shard auto: no scheduler environment found", error);
        Assert.Contains("hint: run it as a task of `sbatch --array`", error);
    }

    private static string Line(string text, string prefix) => text.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Splits a line as bash would for plain words, 'single-quoted' words and "$VAR" (replaced by its value).</summary>
    private static string[] ShellWords(string line, params (string Variable, string Value)[] variables)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == ' ') { if (inWord) words.Add(current.ToString()); current.Clear(); inWord = false; continue; }
            inWord = true;
            if (c == '\'') { int end = line.IndexOf('\'', i + 1); current.Append(line, i + 1, end - i - 1); i = end; }
            else if (c == '\\') { current.Append(line[++i]); }
            else if (c == '"')
            {
                int end = line.IndexOf('"', i + 1);
                string inner = line[(i + 1)..end];
                foreach ((string v, string value) in variables) inner = inner.Replace(v, value, StringComparison.Ordinal);
                Assert.DoesNotContain("$", inner);
                current.Append(inner);
                i = end;
            }
            else { Assert.NotEqual('$', c); current.Append(c); }
        }
        if (inWord) words.Add(current.ToString());
        return [.. words];
    }

    private static void BashSyntaxOk(string script)
    {
        var start = new System.Diagnostics.ProcessStartInfo(BashFactAttribute.Bash, ["-n"]) { RedirectStandardInput = true, RedirectStandardError = true };
        using var bash = System.Diagnostics.Process.Start(start)!;
        bash.StandardInput.Write(script);
        bash.StandardInput.Close();
        string errors = bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        Assert.True(bash.ExitCode == 0, errors);
    }
}
