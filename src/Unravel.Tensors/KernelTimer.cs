// Per-op wall time for `unravel-bench models --kernels`: while recording is on, each instrumented op called on the
// recording thread (the one that started it) adds its elapsed time to a bucket keyed by the op's kind and its operands'
// shapes (e.g. "conv", "[16, 64, 56, 56] [64, 64, 3, 3]"). Only the outermost op counts, so an op that computes through others (Conv2dAffine's fallback through Conv2d, Linear
// through the GEMM) is timed once, whole. Off by default; then Begin is one static read and Dispose one field test.

using System.Collections.Concurrent;
using System.Diagnostics;

namespace Unravel.Tensors;

/// <summary>Times one op call into the current recording, if any (<c>using var _ = KernelTimer.Begin(...)</c>).</summary>
internal readonly struct KernelTimer : IDisposable
{
    /// <summary>Calls and total time of one (kind, shapes) bucket.</summary>
    internal sealed class Bucket
    {
        public long Calls;
        public long Ticks;
    }

    private static volatile ConcurrentDictionary<(string Kind, string Shapes), Bucket>? s_recording;
    private static int s_thread;

    [ThreadStatic]
    private static int t_depth;

    private readonly ConcurrentDictionary<(string Kind, string Shapes), Bucket>? _recording;
    private readonly string? _kind, _shapes;
    private readonly long _start;

    private KernelTimer(ConcurrentDictionary<(string Kind, string Shapes), Bucket> recording, string? kind, string? shapes, long start)
    {
        _recording = recording;
        _kind = kind;
        _shapes = shapes;
        _start = start;
    }

    /// <summary>Starts timing an op of <paramref name="kind"/> on operands <paramref name="a"/> (and <paramref name="b"/>).</summary>
    public static KernelTimer Begin(string kind, Tensor a, Tensor? b = null)
    {
        var recording = s_recording;
        if (recording is null || Environment.CurrentManagedThreadId != s_thread) return default;
        if (t_depth++ > 0) return new KernelTimer(recording, null, null, 0);   // nested: counted in the outer op
        string shapes = b is null ? a.ShapeString : $"{a.ShapeString} {b.ShapeString}";
        return new KernelTimer(recording, kind, shapes, Stopwatch.GetTimestamp());
    }

    /// <summary>Adds the elapsed time to the op's bucket.</summary>
    public void Dispose()
    {
        if (_recording is null) return;
        t_depth--;
        if (_kind is null) return;
        long elapsed = Stopwatch.GetTimestamp() - _start;
        Bucket bucket = _recording.GetOrAdd((_kind, _shapes!), _ => new Bucket());
        Interlocked.Increment(ref bucket.Calls);
        Interlocked.Add(ref bucket.Ticks, elapsed);
    }

    /// <summary>Starts a new recording of the ops called on this thread (the previous recording, if any, is dropped).</summary>
    public static void Start()
    {
        s_thread = Environment.CurrentManagedThreadId;
        s_recording = new ConcurrentDictionary<(string Kind, string Shapes), Bucket>();
    }

    /// <summary>Ends the recording: each bucket's calls and total milliseconds.</summary>
    public static IReadOnlyList<(string Kind, string Shapes, long Calls, double Ms)> Stop()
    {
        var recording = s_recording;
        s_recording = null;
        if (recording is null) return [];
        return recording.Select(e => (e.Key.Kind, e.Key.Shapes, e.Value.Calls, e.Value.Ticks * 1000.0 / Stopwatch.Frequency)).ToArray();
    }
}
