// Explicit, deterministic parallelism: work is cut into a fixed number of contiguous chunks that depends only on
// the thread count, so a result never depends on scheduling.

namespace Unravel.Tensors;

/// <summary>Thread count and a static-partition parallel loop.</summary>
public static class Parallelism
{
    private static int s_threads = ReadThreadCount();

    [ThreadStatic]
    private static bool s_nested;

    /// <summary>True on a thread that is running a chunk of a parallel loop.</summary>
    public static bool IsNested => s_nested;

    /// <summary>Worker threads; from <c>UNRAVEL_THREADS</c>, default all cores.</summary>
    public static int Threads
    {
        get => s_threads;
        set => s_threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "Threads must be ≥ 1.");
    }

    /// <summary>Runs <paramref name="body"/>(start, end) over contiguous chunks of [0, count).</summary>
    /// <remarks>Uses at most <see cref="Threads"/> chunks and never more than count / minPerChunk. Chunk
    /// boundaries depend only on count, minPerChunk, Threads and whether the call is nested: a call made from
    /// inside another parallel loop (e.g. a GEMM inside per-head attention) runs as one chunk on its thread, so
    /// threads are never oversubscribed.</remarks>
    public static void For(int count, int minPerChunk, Action<int, int> body)
    {
        if (count <= 0) return;
        int chunks = s_nested ? 1 : Math.Clamp(count / Math.Max(1, minPerChunk), 1, s_threads);
        if (chunks == 1) { body(0, count); return; }
        void RunChunk(int c)
        {
            (int start, int end) = ChunkRange(count, chunks, c);
            bool outer = s_nested;
            s_nested = true;
            try { body(start, end); }
            finally { s_nested = outer; }
        }
        // The fixed worker team when it is free (the same threads every loop), else the thread pool.
        if (UseWorkerTeam && WorkerTeam.TryRun(chunks, RunChunk)) return;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, RunChunk);
    }

    /// <summary>Whether <see cref="For"/> runs its chunks on the fixed worker team (default) rather than on
    /// Parallel.For's thread-pool threads (tests and benchmarks compare the two).</summary>
    /// <remarks>UNRAVEL_WORKER_TEAM=0 turns it off for a process.</remarks>
    internal static bool UseWorkerTeam { get; set; } = Environment.GetEnvironmentVariable("UNRAVEL_WORKER_TEAM") != "0";

    /// <summary>The [start, end) of chunk <paramref name="index"/> when [0, count) is cut into <paramref name="chunks"/>.</summary>
    public static (int Start, int End) ChunkRange(int count, int chunks, int index)
    {
        int baseSize = count / chunks, extra = count % chunks;
        int start = index * baseSize + Math.Min(index, extra);
        return (start, start + baseSize + (index < extra ? 1 : 0));
    }

    private static int ReadThreadCount()
    {
        string? v = Environment.GetEnvironmentVariable("UNRAVEL_THREADS");
        return int.TryParse(v, out int n) && n >= 1 ? n : Environment.ProcessorCount;
    }
}
