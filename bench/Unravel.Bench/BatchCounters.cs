// What one batch of our engine costs besides arithmetic: minor page faults (getrusage; each is a zeroed page handed out
// by the kernel, ~1 µs on bare metal and about ten times that in a VM), garbage collections per generation
// (GC.CollectionCount) and managed bytes allocated (GC.GetTotalAllocatedBytes, all threads). Taken around each timed
// sample of ours and divided by the runs in it; the page-fault count is the whole process's, which is fine because
// nothing else in the process runs while ours is timed (the PyTorch worker is another process and stopped, and
// ONNX Runtime's threads only spin-wait).

namespace Unravel.Bench;

/// <summary>Cumulative counters of this process, or their difference over some runs.</summary>
internal readonly record struct BatchCounters(double MinorFaults, double Gen0, double Gen1, double Gen2, double AllocatedBytes)
{
    public static BatchCounters Now() => new(ProcessCounters.Now().MinorFaults, GC.CollectionCount(0), GC.CollectionCount(1),
        GC.CollectionCount(2), GC.GetTotalAllocatedBytes(precise: false));

    public static BatchCounters operator -(BatchCounters a, BatchCounters b) =>
        new(a.MinorFaults - b.MinorFaults, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.AllocatedBytes - b.AllocatedBytes);

    /// <summary>Each counter divided by <paramref name="runs"/>.</summary>
    public BatchCounters PerRun(int runs) =>
        new(MinorFaults / runs, Gen0 / runs, Gen1 / runs, Gen2 / runs, AllocatedBytes / runs);

    /// <summary>The per-counter median over samples.</summary>
    public static BatchCounters Median(IReadOnlyList<BatchCounters> samples) => new(
        BenchReport.Median(samples.Select(s => s.MinorFaults)), BenchReport.Median(samples.Select(s => s.Gen0)),
        BenchReport.Median(samples.Select(s => s.Gen1)), BenchReport.Median(samples.Select(s => s.Gen2)),
        BenchReport.Median(samples.Select(s => s.AllocatedBytes)));
}
