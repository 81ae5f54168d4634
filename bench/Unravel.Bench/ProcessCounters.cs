// Process CPU time and minor page faults from getrusage(2), for the model profiler: on a shared host, CPU time is
// steadier than wall time, and page faults show what fresh allocations cost. Linux only; elsewhere both read zero.

using System.Runtime.InteropServices;

namespace Unravel.Bench;

/// <summary>A snapshot of this process's CPU time and minor page faults.</summary>
internal readonly record struct ProcessCounters(double CpuSeconds, long MinorFaults)
{
    public static ProcessCounters Now()
    {
        if (!OperatingSystem.IsLinux() || getrusage(0, out Rusage r) != 0) return default;
        return new ProcessCounters(r.UserSec + r.UserUsec * 1e-6 + r.SysSec + r.SysUsec * 1e-6, r.MinFlt);
    }

    /// <summary>CPU seconds used by all threads of this process (clock_gettime), or wall seconds off Linux.</summary>
    public static double CpuNow()
    {
        if (OperatingSystem.IsLinux() && clock_gettime(2, out Timespec t) == 0) return t.Sec + t.Nsec * 1e-9;
        return System.Diagnostics.Stopwatch.GetTimestamp() / (double)System.Diagnostics.Stopwatch.Frequency;
    }

    public static ProcessCounters operator -(ProcessCounters a, ProcessCounters b) =>
        new(a.CpuSeconds - b.CpuSeconds, a.MinorFaults - b.MinorFaults);

    // struct rusage on 64-bit Linux: two timevals, then fourteen longs.
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSec, UserUsec, SysSec, SysUsec;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVcsw, NIvcsw;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Sec, Nsec;
    }

    [DllImport("libc")]
    private static extern int clock_gettime(int clock, out Timespec time);

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out Rusage usage);
}
