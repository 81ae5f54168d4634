// Kill-safe, lock-safe commands, tested on real `unravel` processes killed with SIGKILL (Process.Kill on Unix):
// a collect killed at several points and resumed ends identical to an uninterrupted run (arrays byte for byte, the
// manifest apart from timings and the command line, every atlas.db row); killing concepts, pure, report, explain and
// embed (on a tiny text atlas) at random points leaves the atlas as it was before or as the completed run left it, never a mix; two collects into one --out and
// two --resume at once: one wins, the other exits 2 naming the holder's PID; a lock left by a killed run is taken over
// and said so; a checkpoint with flipped bits is refused naming it.

using System.Diagnostics;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Tests;
using Unravel.Interpret.Collection;

namespace Unravel.Cli.Tests;

[Collection("processes")]
public sealed class KillAndLockTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string CollectArgs(string outDir, int limit) =>
        $"collect fashion-small-resnet --data {CliFixture.Images} --layers layer2,layer3 --out {outDir} --k 8 --batch 20 --limit {limit} --checkpoint-every 0";

    [Fact]
    public void Collect_KilledAtSeveralPointsAndResumed_IdenticalToUninterruptedRun()
    {
        const int Limit = 1200;
        string reference = Path.Combine(_dir, "reference");
        Assert.Equal(0, Unravel(CollectArgs(reference, Limit)).Code);

        string atlas = Path.Combine(_dir, "killed");
        string checkpoint = global::Unravel.Atlas.Stages.CollectStage.CheckpointPath(atlas);
        int killedAt = 0;
        for (int kill = 0; kill < 3; kill++)
        {
            // Each run is killed once the checkpoint has advanced by two batches past where it started.
            using Process run = Start(CollectArgs(atlas, Limit) + (kill > 0 ? " --resume" : ""));
            int target = killedAt + 40;
            Assert.True(WaitUntil(() => Next(checkpoint) >= target || run.HasExited, 120), "no checkpoint progress");
            Assert.False(run.HasExited, "the run finished before it could be killed; raise the limit");
            run.Kill();
            run.WaitForExit();
            int now = Next(checkpoint);
            Assert.True(now > killedAt && now < Limit, $"checkpoint at {now} after kill {kill}");
            killedAt = now;
        }
        // A kill at a random moment of a resumed run (model load, a batch or a checkpoint write).
        using (Process run = Start(CollectArgs(atlas, Limit) + " --resume"))
        {
            Thread.Sleep(new Random(3).Next(200, 1500));
            if (!run.HasExited) run.Kill();
            run.WaitForExit();
        }
        if (!Directory.Exists(atlas))   // else the random kill came after the atlas was in place: nothing left to resume
        {
            (int code, _, string error) = Unravel(CollectArgs(atlas, Limit) + " --resume");
            Assert.True(code == 0, error);
            Assert.Contains($"resuming from {checkpoint}", error);
            Assert.False(File.Exists(checkpoint));
        }

        AssertSameAtlas(reference, atlas);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_dir, ".killed*"), p => !p.EndsWith(".lock", StringComparison.Ordinal) && !p.EndsWith(".checkpoint", StringComparison.Ordinal));
    }

    [Fact]
    public void Collect_TwoIntoOneOut_SecondRefusedWithHolderPid_ThenTwoResumes_OneWins()
    {
        string atlas = Path.Combine(_dir, "shared");
        string checkpoint = global::Unravel.Atlas.Stages.CollectStage.CheckpointPath(atlas);
        using Process first = Start(CollectArgs(atlas, 1200));
        Assert.True(WaitUntil(() => Next(checkpoint) >= 20 || first.HasExited, 120));
        // Stopped (SIGSTOP), the first run holds the lock for as long as the second needs to start, however fast it collects.
        Signal(first, "STOP");
        (int code, _, string error) = Unravel(CollectArgs(atlas, 1200));
        Assert.Equal(2, code);
        Assert.Contains($"error: atlas {atlas} is in use by PID {first.Id} (unravel collect fashion-small-resnet", error);
        Assert.DoesNotContain("   at ", error);
        first.Kill();
        first.WaitForExit();

        // Two resumes of the killed run: the one that gets the lock first says whose stale lock it took over, the other
        // stops with the lock message naming it.
        using Process winner = Start(CollectArgs(atlas, 1200) + " --resume");
        Assert.True(WaitUntil(() => OwnerPid(atlas) == winner.Id || winner.HasExited, 120));
        Signal(winner, "STOP");
        (code, _, error) = Unravel(CollectArgs(atlas, 1200) + " --resume");
        Signal(winner, "CONT");
        Assert.Equal(2, code);
        Assert.Contains($"error: atlas {atlas} is in use by PID {winner.Id} (unravel collect", error);
        Assert.True(winner.WaitForExit(300_000));
        Assert.Equal(0, winner.ExitCode);
        Assert.Contains($"note: took over the lock of {atlas} left by PID {first.Id}", Stderr(winner));
        Assert.True(File.Exists(Path.Combine(atlas, "manifest.json")));
        Assert.False(File.Exists(checkpoint));
    }

    private static int? OwnerPid(string atlas)
    {
        try
        {
            string owner = AtlasLock.LockPath(atlas) + ".owner";
            return File.Exists(owner) ? JsonNode.Parse(File.ReadAllText(owner))?["pid"]?.GetValue<int>() : null;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static void Signal(Process process, string signal)
    {
        using Process kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    [Fact]
    public void Collect_FlippedBitsInCheckpoint_RefusedNamingIt_AndResumeWithoutCheckpointSaysSo()
    {
        string atlas = Path.Combine(_dir, "flipped");
        string checkpoint = global::Unravel.Atlas.Stages.CollectStage.CheckpointPath(atlas);
        using (Process run = Start(CollectArgs(atlas, 1200)))
        {
            Assert.True(WaitUntil(() => Next(checkpoint) >= 20 || run.HasExited, 120));
            run.Kill();
            run.WaitForExit();
        }
        byte[] bytes = File.ReadAllBytes(checkpoint);
        var rng = new Random(20);
        for (int i = 0; i < 20; i++) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
        File.WriteAllBytes(checkpoint, bytes);
        (int code, _, string error) = Unravel(CollectArgs(atlas, 1200) + " --resume");
        Assert.Equal(2, code);
        Assert.Contains($"error: checkpoint refused: {checkpoint}: ", error);
        Assert.False(Directory.Exists(atlas));

        File.Delete(checkpoint);
        (code, _, error) = Unravel(CollectArgs(atlas, 1200) + " --resume");
        Assert.Equal(2, code);
        Assert.Contains($"error: --resume: there is no checkpoint {checkpoint} to resume from.", error);
    }

    [Theory]
    [InlineData("concepts {0} --layer layer3 --top-k 12 --min-size 2")]
    [InlineData("pure {0} --layer layer3 --neurons 0,1,2,3 --references 12 --restarts 2")]
    [InlineData("report {0} --no-model")]
    [InlineData("explain {0} --layer layer3 --neurons 0,1,2,3")]
    public void Command_KilledAtRandomPoints_AtlasAsBeforeOrAsCompleted(string command) => KilledAtRandomPoints(fixture.Atlas, command);

    [Fact]
    public void Embed_KilledAtRandomPoints_AtlasAsBeforeOrAsCompleted() =>
        KilledAtRandomPoints(TinyTextAtlas.Create(Directory.CreateDirectory(Path.Combine(_dir, "text")).FullName),
            "embed {0} --layer h.1.mlp.hook_post --examples 12 --ratio 0.5");

    /// <summary>Runs <paramref name="command"/> on a copy of <paramref name="source"/> to completion, then on five more copies
    /// killed at random points of the run's duration: each ends exactly as before or as the completed run (apart from time stamps).</summary>
    private void KilledAtRandomPoints(string source, string command)
    {
        string baseline = Copy(source, Path.Combine(_dir, "baseline"));
        string before = AtlasContent.Hash(baseline);
        string completed = Copy(source, Path.Combine(_dir, "completed"));
        var clock = Stopwatch.StartNew();
        (int code, _, string error) = Unravel(string.Format(System.Globalization.CultureInfo.InvariantCulture, command, completed));
        Assert.True(code == 0, error);
        double seconds = clock.Elapsed.TotalSeconds;
        Assert.NotEqual(before, AtlasContent.Hash(completed));
        string after = AtlasContent.Hash(completed, Timestamped);

        var rng = new Random(command.Length);
        int[] outcomes = new int[2];
        for (int kill = 0; kill < 5; kill++)
        {
            string atlas = Copy(source, Path.Combine(_dir, $"kill{kill}"));
            using (Process run = Start(string.Format(System.Globalization.CultureInfo.InvariantCulture, command, atlas)))
            {
                Thread.Sleep(TimeSpan.FromSeconds(seconds * rng.NextDouble()));
                if (!run.HasExited) run.Kill();
                run.WaitForExit();
            }
            AtlasSession.Open(atlas);   // what any next command does first: finish or discard an interrupted commit
            string now = AtlasContent.Hash(atlas);
            if (now == before) outcomes[0]++;
            else
            {
                Assert.Equal(after, AtlasContent.Hash(atlas, Timestamped));
                outcomes[1]++;
            }
            Assert.False(Directory.Exists(Path.Combine(atlas, AtlasCommit.StagingFolder)));
            // The next run of the command cleans what the kill left (a report's hidden temporary folder).
            Assert.Equal(0, Unravel(string.Format(System.Globalization.CultureInfo.InvariantCulture, command, atlas)).Code);
            Assert.Empty(Directory.EnumerateDirectories(atlas, ".*"));
        }
        Assert.Equal(5, outcomes.Sum());
    }

    /// <summary>Files whose bytes carry the time they were written (records' provenance, the report's pages).</summary>
    private static bool Timestamped(string rel) => rel.StartsWith("methods/", StringComparison.Ordinal) || rel.StartsWith("report/", StringComparison.Ordinal);

    private static void AssertSameAtlas(string expected, string actual)
    {
        string[] files = [.. Directory.EnumerateFiles(expected, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(expected, f)).Order()];
        Assert.Equal(files, Directory.EnumerateFiles(actual, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(actual, f)).Order());
        foreach (string rel in files.Where(f => f.EndsWith(".npy", StringComparison.Ordinal) || f.EndsWith(".png", StringComparison.Ordinal)))
            Assert.True(File.ReadAllBytes(Path.Combine(expected, rel)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, rel))), rel);
        Assert.Equal(Manifest(expected), Manifest(actual));
        Assert.Equal(AtlasContent.DatabaseDump(expected), AtlasContent.DatabaseDump(actual));
    }

    private static string Manifest(string atlas)
    {
        JsonObject m = JsonNode.Parse(File.ReadAllText(Path.Combine(atlas, "manifest.json")))!.AsObject();
        foreach (string key in (string[])["timings_s", "created_utc", "command"]) m.Remove(key);
        return m.ToJsonString().Replace(atlas, "ATLAS", StringComparison.Ordinal);
    }

    private static int Next(string checkpoint)
    {
        try
        {
            return File.Exists(checkpoint) ? CollectionState.Load(checkpoint, requireChecksum: true).Next : 0;
        }
        catch (IOException)
        {
            return 0;   // renamed over while being read
        }
    }

    private static bool WaitUntil(Func<bool> condition, int seconds)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed.TotalSeconds > seconds) return false;
            Thread.Sleep(20);
        }
        return true;
    }

    private static string Copy(string from, string to) => ScaleTestHelpers.CopyAtlas(from, to);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Process, System.Text.StringBuilder> s_stderr = new();

    private static Process Start(string args)
    {
        string host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "unravel.dll"));
        foreach (string a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries)) info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info };
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        s_stderr.Add(process, stderr);
        return process;
    }

    private static string Stderr(Process process)
    {
        process.WaitForExit();
        System.Text.StringBuilder text = s_stderr.GetValue(process, _ => new());
        lock (text) return text.ToString();
    }

    private static (int Code, string Output, string Error) Unravel(string args)
    {
        using Process process = Start(args);
        Assert.True(process.WaitForExit(600_000), "timed out: unravel " + args);
        return (process.ExitCode, "", Stderr(process));
    }
}
