// Parallelism.For on the fixed worker team: every index covered once in the same chunks as on the thread pool, chunk 1
// on the same worker loop after loop, nested loops inline, a chunk's exception reported like Parallel.For's after every
// chunk ran, and loops started from several threads at once all complete (one holds the team, the others fall back).
// Changes Parallelism.Threads, so it runs in the GEMM tests' serial collection.

using System.Collections.Concurrent;

namespace Unravel.Tensors.Tests.Kernels;

[Collection(nameof(GemmTests))]
public sealed class ParallelismTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void For_OnTheTeam_CoversEachIndexOnceInTheThreadPoolsChunks(int threads)
    {
        (List<(int, int)> team, List<(int, int)> pool) = WithThreads(threads, () => (Chunks(useTeam: true), Chunks(useTeam: false)));
        Assert.Equal(pool, team);
        Assert.Equal(threads, team.Count);
        Assert.Equal(Enumerable.Range(0, 1000), team.SelectMany(c => Enumerable.Range(c.Item1, c.Item2 - c.Item1)));

        static List<(int, int)> Chunks(bool useTeam)
        {
            var chunks = new ConcurrentBag<(int, int)>();
            bool saved = Parallelism.UseWorkerTeam;
            Parallelism.UseWorkerTeam = useTeam;
            try { Parallelism.For(1000, 1, (a, b) => chunks.Add((a, b))); }
            finally { Parallelism.UseWorkerTeam = saved; }
            return [.. chunks.OrderBy(c => c.Item1)];
        }
    }

    [Fact]
    public void Team_LoopAfterLoop_RunsChunkOneOnTheSameThread()
    {
        var chunkOne = new ConcurrentDictionary<int, bool>();
        for (int i = 0; i < 200; i++)
            OnTeam(2, c => { if (c == 1) chunkOne[Environment.CurrentManagedThreadId] = true; });
        Assert.Single(chunkOne);                                        // one worker, not whichever pool thread was free
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, chunkOne.Keys);
    }

    [Fact]
    public void For_NestedLoop_RunsInlineOnTheChunksThread()
    {
        var inner = new ConcurrentBag<(int Outer, int Thread)>();
        WithThreads(2, () =>
        {
            Parallelism.For(2, 1, (a, _) =>
            {
                int me = Environment.CurrentManagedThreadId;
                Parallelism.For(100, 1, (_, _) => inner.Add((a, Environment.CurrentManagedThreadId == me ? 1 : 0)));
            });
            return 0;
        });
        Assert.Equal(2, inner.Count);                                  // one chunk per nested loop
        Assert.All(inner, x => Assert.Equal(1, x.Thread));
    }

    [Fact]
    public void Team_ChunkThrows_ReportsItAfterEveryChunkRan()
    {
        var ran = new ConcurrentBag<int>();
        AggregateException e = Assert.Throws<AggregateException>(() => OnTeam(3, c =>
        {
            ran.Add(c);
            if (c == 1) throw new InvalidOperationException("chunk 1");
        }));
        Assert.Equal("chunk 1", Assert.Single(e.InnerExceptions).Message);
        Assert.Equal([0, 1, 2], ran.Order());
        OnTeam(3, c => ran.Add(10 + c));                                // the team is usable again
        Assert.Equal([0, 1, 2, 10, 11, 12], ran.Order());
    }

    [Fact]
    public void For_FromSeveralThreadsAtOnce_EveryLoopCompletes()
    {
        long total = 0;
        WithThreads(2, () =>
        {
            Parallel.For(0, 8, _ =>
            {
                // Not nested for Parallelism: these are the test's own threads, so they contend for the team.
                for (int i = 0; i < 50; i++) Parallelism.For(64, 1, (a, b) => Interlocked.Add(ref total, b - a));
            });
            return 0;
        });
        Assert.Equal(8L * 50 * 64, total);
    }

    /// <summary>Runs the chunks on the worker team itself, waiting while another test's loop holds it.</summary>
    private static void OnTeam(int chunks, Action<int> runChunk)
    {
        var wait = new SpinWait();
        while (!WorkerTeam.TryRun(chunks, runChunk)) wait.SpinOnce();
    }

    private static T WithThreads<T>(int threads, Func<T> run)
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try { return run(); }
        finally { Parallelism.Threads = saved; }
    }
}
