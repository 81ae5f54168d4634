// Kill-safe, lock-safe atlas writes: the writer's lock refuses a second process naming its PID and command line and
// takes over a lock whose process has ended; a method's files and rows are committed together (a failure or kill before
// the commit point leaves the atlas hash-identical, one after it is finished by the next opener); a full disk halfway
// through a file leaves no half-written file; stale temporary folders of killed runs are deleted; and a collect
// checkpoint with flipped bits is refused. Kills are simulated by exceptions thrown from AtlasCommit's test seam at the
// points a SIGKILL could hit; the CLI tests kill real processes.

using System.Diagnostics;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Stages;
using Unravel.Interpret.Collection;
using Unravel.Tensors;

namespace Unravel.Atlas.Tests;

public sealed class AtlasWriteSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-atlas-safety-").FullName;

    public void Dispose()
    {
        AtlasCommit.Checkpoint = null;
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Lock_HeldByAnotherProcess_RefusedNamingPidAndCommand()
    {
        string atlas = Path.Combine(_dir, "atlas");
        using Process other = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        try
        {
            // What another unravel process leaves while it runs: the lock file locked, the owner file naming it.
            string lockFile = AtlasLock.LockPath(atlas);
            using var held = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(lockFile + ".owner", $$"""{"pid": {{other.Id}}, "command": "concepts", "command_line": "unravel concepts {{atlas}} --layer layer3"}""");

            var e = Assert.Throws<AtlasInUseException>(() => AtlasLock.Acquire(atlas, "report"));
            Assert.Equal($"atlas {atlas} is in use by PID {other.Id} (unravel concepts {atlas} --layer layer3).", e.Message);
            Assert.Equal(other.Id, e.Pid);
            Assert.Null(AtlasLock.TryAcquire(atlas, "recover"));
        }
        finally
        {
            other.Kill();
        }
    }

    [Fact]
    public void Lock_LeftByEndedProcess_TakenOverAndSaidSo()
    {
        string atlas = Path.Combine(_dir, "atlas");
        using Process ended = Process.Start(new ProcessStartInfo("true"))!;
        ended.WaitForExit();
        File.WriteAllText(AtlasLock.LockPath(atlas) + ".owner", $$"""{"pid": {{ended.Id}}, "command_line": "unravel collect m --out atlas"}""");
        var notes = new List<string>();
        void Note(string line) { if (line.Contains(atlas, StringComparison.Ordinal)) notes.Add(line); }
        AtlasLock.Notice += Note;
        try
        {
            using AtlasLock taken = AtlasLock.Acquire(atlas, "collect");
            Assert.Equal($"PID {ended.Id} (unravel collect m --out atlas)", taken.TookOverFrom);
            Assert.Equal([$"note: took over the lock of {atlas} left by PID {ended.Id} (unravel collect m --out atlas), which ended without releasing it."], notes);
        }
        finally
        {
            AtlasLock.Notice -= Note;
        }
        Assert.False(File.Exists(AtlasLock.LockPath(atlas) + ".owner"));   // released cleanly: the next holder takes over nothing
        using AtlasLock again = AtlasLock.Acquire(atlas, "collect");
        Assert.Null(again.TookOverFrom);
    }

    [Fact]
    public void Lock_SameCallChainReenters_OtherThreadWaits()
    {
        string atlas = Path.Combine(_dir, "atlas");
        AtlasLock outer = AtlasLock.Acquire(atlas, "concepts");
        using (AtlasLock inner = AtlasLock.Acquire(atlas, "concepts")) Assert.True(AtlasLock.IsHeld(atlas));
        Assert.True(AtlasLock.IsHeld(atlas));   // the inner release left the outer one held
        bool heldThere = false;
        using var done = new ManualResetEventSlim();
        var other = new Thread(() =>
        {
            using AtlasLock l = AtlasLock.Acquire(atlas, "explorer");
            heldThere = AtlasLock.IsHeld(atlas);
            done.Set();
        });
        // A thread started here would inherit the lock along the call chain (AsyncLocal flows); the explorer's requests do not.
        using (ExecutionContext.SuppressFlow()) other.Start();
        Assert.False(done.Wait(300));
        outer.Dispose();
        Assert.True(done.Wait(10_000));
        other.Join();
        Assert.True(heldThere);
    }

    [Fact]
    public void Commit_FailsBeforeCommitPoint_AtlasHashIdentical()
    {
        AtlasSession session = AtlasSession.Open(TinyAtlas.Write(_dir));
        string before = AtlasContent.Hash(session.Root);
        foreach (string point in (string[])["writing", "staged"])
        {
            AtlasCommit.Checkpoint = (root, at) => { if (root == session.Root && at == point) throw new IOException("injected at " + point); };
            var e = Assert.Throws<IOException>(() => Concepts(session, [1, 2, 3]));
            Assert.Equal("injected at " + point, e.Message);
            Assert.Equal(before, AtlasContent.Hash(session.Root));
            Assert.False(Directory.Exists(Path.Combine(session.Root, AtlasCommit.StagingFolder)));
        }
    }

    [Fact]
    public void Commit_DiskFullHalfwayThroughAFile_NoHalfWrittenFileAndAUserError()
    {
        AtlasSession session = AtlasSession.Open(TinyAtlas.Write(_dir));
        Concepts(session, [4]);
        string before = AtlasContent.Hash(session.Root);
        // ENOSPC as .NET reports it on Linux (HResult = errno 28), thrown after half of the first record was written.
        AtlasCommit.Checkpoint = (root, at) => { if (root == session.Root && at == "writing") throw new IOException("No space left on device", 28); };
        Assert.Throws<IOException>(() => Concepts(session, [4, 5]));
        Assert.Equal(before, AtlasContent.Hash(session.Root));
        Assert.DoesNotContain(Directory.EnumerateFiles(session.Root, "*", SearchOption.AllDirectories), f => Path.GetFileName(f).StartsWith('.'));
        Assert.False(Directory.Exists(Path.Combine(session.Root, AtlasCommit.StagingFolder)));
    }

    [Fact]
    public void Commit_KilledAfterCommitPoint_NextOpenFinishesIt()
    {
        AtlasSession session = AtlasSession.Open(TinyAtlas.Write(_dir));
        AtlasCommit.Checkpoint = (root, at) => { if (root == session.Root && at == "committed") throw new OperationCanceledException("killed"); };
        Assert.Throws<OperationCanceledException>(() => Concepts(session, [1, 2]));
        AtlasCommit.Checkpoint = null;
        // Rows committed, files still staged: exactly what a SIGKILL between the commit and the renames leaves.
        Assert.Empty(ConceptsMethod.Instance.Analysed(session.Atlas, "layer3"));
        Assert.Equal(2, ConceptCount(session.Root));

        AtlasSession reopened = AtlasSession.Open(session.Root);
        Assert.Equal([1, 2], ConceptsMethod.Instance.Analysed(reopened.Atlas, "layer3"));
        Assert.False(Directory.Exists(Path.Combine(session.Root, AtlasCommit.StagingFolder)));
        using AtlasDatabase db = AtlasDatabase.Open(session.Root);
        Assert.Empty(db.Query("SELECT key FROM meta WHERE key LIKE 'commit:%'").Rows);
        foreach (int n in (int[])[1, 2])
            Assert.Equal(ConceptsMethod.Instance.Read(reopened.Atlas, "layer3", n)!.Result.Concepts.Length,
                Convert.ToInt32(db.Query("SELECT concepts FROM neurons WHERE layer = 'layer3' AND idx = $n", ("$n", n)).Rows[0][0]));
    }

    [Fact]
    public void Commit_StagingLeftByKillBeforeCommitPoint_DeletedByNextOpen()
    {
        string atlas = TinyAtlas.Write(_dir);
        string before = AtlasContent.Hash(atlas);
        string staged = Path.Combine(atlas, AtlasCommit.StagingFolder, "4242-deadbeef", "methods", "concepts", "layer3");
        Directory.CreateDirectory(staged);
        File.WriteAllText(Path.Combine(staged, "neuron_0.json"), "{\"half");
        AtlasSession session = AtlasSession.Open(atlas);
        Assert.False(Directory.Exists(Path.Combine(atlas, AtlasCommit.StagingFolder)));
        Assert.Equal(before, AtlasContent.Hash(atlas));
        Assert.Empty(ConceptsMethod.Instance.Analysed(session.Atlas, "layer3"));
    }

    [Fact]
    public void AtomicDirectory_StaleTempFoldersOfEndedRuns_DeletedAliveOnesKept()
    {
        string target = Path.Combine(_dir, "report");
        using Process ended = Process.Start(new ProcessStartInfo("true"))!;
        ended.WaitForExit();
        string dead = Path.Combine(_dir, $".report.tmp-{ended.Id}-0123abcd");
        string oldStyle = Path.Combine(_dir, ".report.tmp-0123456789abcdef0123456789abcdef");
        string alive = Path.Combine(_dir, $".report.tmp-{Environment.ProcessId}-feedface");
        string other = Path.Combine(_dir, $".reports.tmp-{ended.Id}-0123abcd");
        foreach (string d in (string[])[dead, oldStyle, alive, other]) Directory.CreateDirectory(Path.Combine(d, "sub"));

        AtomicDirectory.Write(target, temp => File.WriteAllText(Path.Combine(temp, "index.html"), "ok"));
        Assert.False(Directory.Exists(dead));
        Assert.False(Directory.Exists(oldStyle));
        Assert.True(Directory.Exists(alive));
        Assert.True(Directory.Exists(other));
        Assert.Equal("ok", File.ReadAllText(Path.Combine(target, "index.html")));
    }

    [Fact]
    public void AtomicDirectory_KilledBetweenTheTwoRenames_OldFolderMovedBack()
    {
        string target = Path.Combine(_dir, "atlas");
        string aside = Path.Combine(_dir, ".atlas.old-999999999-0123abcd");   // no such PID
        Directory.CreateDirectory(aside);
        File.WriteAllText(Path.Combine(aside, "manifest.json"), "{}");
        Assert.Empty(AtomicDirectory.CleanStale(target));
        Assert.Equal("{}", File.ReadAllText(Path.Combine(target, "manifest.json")));
    }

    [Fact]
    public void CollectionState_FlippedBits_RefusedBeforeParsing()
    {
        RootModuleState(out CollectionState state);
        using var saved = new MemoryStream();
        CollectionState.Save(saved, state);
        byte[] bytes = saved.ToArray();
        Assert.Equal(state.Next, CollectionState.Load(new MemoryStream(bytes), requireChecksum: true).Next);

        var rng = new Random(5);
        for (int trial = 0; trial < 50; trial++)
        {
            byte[] damaged = (byte[])bytes.Clone();
            int flips = trial < 25 ? 1 : 20;
            for (int f = 0; f < flips; f++) damaged[rng.Next(damaged.Length)] ^= (byte)(1 << rng.Next(8));
            if (damaged.AsSpan().SequenceEqual(bytes)) continue;
            Assert.Throws<InvalidDataException>(() => CollectionState.Load(new MemoryStream(damaged), requireChecksum: true));
        }
        byte[] payloadFlip = (byte[])bytes.Clone();
        payloadFlip[bytes.Length / 2] ^= 0x10;
        var e = Assert.Throws<InvalidDataException>(() => CollectionState.Load(new MemoryStream(payloadFlip), requireChecksum: true));
        Assert.Contains("checksum does not match", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => CollectionState.Load(new MemoryStream(bytes[..^1]), requireChecksum: true));
    }

    private static void RootModuleState(out CollectionState state)
    {
        Unravel.Nn.RootModule model = Unravel.Models.ModelRegistry.Get("small-resnet").Create(Unravel.Nn.WeightSource.Initialize(7));
        model.Eval();
        var data = new ImageDataset(Tensor.RandomNormal(new Random(3), 16, 1, 28, 28), null, "synthetic");
        state = Collector.Run(model, data, ["layer3"], new CollectionOptions { TopK = 4, KeepPooled = true }, batchSize: 8).State!;
    }

    private static void Concepts(AtlasSession session, int[] neurons) =>
        new ConceptsStage().Run(new ConceptsRequest(session, "layer3", neurons) { TopK = 12 });

    private static int ConceptCount(string atlas)
    {
        using AtlasDatabase db = AtlasDatabase.Open(atlas);
        return Convert.ToInt32(db.Query("SELECT COUNT(*) FROM neurons WHERE concepts IS NOT NULL").Rows[0][0]);
    }
}
