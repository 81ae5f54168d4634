// The threads that run Parallelism.For's chunks 1..n−1 while the caller runs chunk 0: a fixed team of background
// threads, the same ones for every loop, which spin for a short while after a loop before they sleep. Handing each
// chunk to whichever thread-pool thread was free (Parallel.For) spread a ResNet-50 forward's second chunks over four
// or more pool threads, each with its own cold thread-local packing workspace, and woke a sleeping thread for most of
// the ~60 loops of a batch-1 forward; ONNX Runtime and OpenMP keep a fixed, spinning team for the same reason. One loop
// uses the team at a time; a loop started on another thread meanwhile runs on Parallel.For as before. Chunk bounds do
// not depend on which thread runs a chunk, so results are unchanged.
// Reference: OpenMP's OMP_WAIT_POLICY and ONNX Runtime's intra-op thread pool (spin, then block).

using System.Diagnostics;

namespace Unravel.Tensors;

/// <summary>A fixed team of worker threads for <see cref="Parallelism.For"/>.</summary>
internal static class WorkerTeam
{
    /// <summary>How long a worker spins for the next loop before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000;   // 50 µs

    private static readonly object s_gate = new();
    private static readonly List<Worker> s_workers = [];

    /// <summary>Runs chunks 1..<paramref name="chunks"/>−1 of [0, count) on the team and chunk 0 on this thread, each
    /// through <paramref name="runChunk"/>(chunk); false (nothing run) when another loop holds the team.</summary>
    /// <exception cref="AggregateException">A chunk threw (all chunks still ran to their end), as Parallel.For reports it.</exception>
    public static bool TryRun(int chunks, Action<int> runChunk)
    {
        if (!Monitor.TryEnter(s_gate)) return false;
        try
        {
            while (s_workers.Count < chunks - 1) s_workers.Add(new Worker(s_workers.Count + 1));
            for (int c = 1; c < chunks; c++) s_workers[c - 1].Start(runChunk, c);
            Exception? first = null;
            try { runChunk(0); }
            catch (Exception e) { first = e; }
            var errors = first is null ? null : new List<Exception> { first };
            for (int c = 1; c < chunks; c++)
                if (s_workers[c - 1].Finish() is { } e) (errors ??= []).Add(e);
            if (errors is not null) throw new AggregateException(errors);
            return true;
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    /// <summary>One background thread: waits for a chunk, runs it, reports, spins for the next.</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _go = new(0), _done = new(0);
        private Action<int>? _run;
        private int _chunk;
        private Exception? _error;
        private volatile int _posted, _taken;

        public Worker(int id)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"unravel-worker-{id}" };
            thread.Start();
        }

        public void Start(Action<int> run, int chunk)
        {
            _run = run;
            _chunk = chunk;
            _error = null;
            _posted++;                       // volatile write after the fields: a spinning worker sees them set
            _go.Release();
        }

        /// <summary>Waits for the chunk; its exception, if any.</summary>
        public Exception? Finish()
        {
            _done.Wait();
            return _error;
        }

        private void Loop()
        {
            while (true)
            {
                // Spin briefly for the next loop (ops follow each other closely), then block.
                long start = Stopwatch.GetTimestamp();
                var spinner = new SpinWait();
                while (_posted == _taken && Stopwatch.GetTimestamp() - start < SpinTicks) spinner.SpinOnce(sleep1Threshold: -1);
                _go.Wait();
                _taken++;
                try { _run!(_chunk); }
                catch (Exception e) { _error = e; }
                _run = null;
                _done.Release();
            }
        }
    }
}
