// Loop driver for the elementwise activation kernels (TensorPrimitives' operator-struct pattern): an operator
// struct holds the per-vector math, the driver walks the spans in Vector<float> steps and runs the tail through
// the same vector code on a padded copy, so an element's result never depends on its position or the span length.

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Unravel.Tensors.Kernels;

/// <summary>y = f(x) for one vector of lanes.</summary>
internal interface IUnaryOperator
{
    static abstract Vector<float> Invoke(Vector<float> x);
}

/// <summary>dx + dy · f'(v) for one vector of lanes, where v is the input or the output the gradient depends on.</summary>
internal interface IBackwardOperator
{
    static abstract Vector<float> Invoke(Vector<float> dy, Vector<float> v, Vector<float> dx);
}

internal static class ElementwiseDriver
{
    /// <summary>y[i] = TOp(x[i]) for i &lt; x.Length.</summary>
    public static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> y, string op) where TOp : struct, IUnaryOperator
    {
        CheckDestination(x, y, op, nameof(y));
        int n = x.Length, w = Vector<float>.Count, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        for (; i <= n - w; i += w)
            TOp.Invoke(Vector.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (i < n) UnaryTail<TOp>(x[i..], y[i..n]);
    }

    /// <summary>dx[i] = TOp(dy[i], v[i], dx[i]) for i &lt; dy.Length (accumulating operators add into dx).</summary>
    public static void Backward<TOp>(ReadOnlySpan<float> dy, ReadOnlySpan<float> v, Span<float> dx, string op, string vName)
        where TOp : struct, IBackwardOperator
    {
        if (v.Length != dy.Length)
            throw new ArgumentException($"{op}: {vName} has {v.Length} elements but dy has {dy.Length}.", vName);
        CheckDestination(dy, dx, op, nameof(dx));
        CheckDestination(v, dx, op, nameof(dx));
        int n = dy.Length, w = Vector<float>.Count, i = 0;
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float vr = ref MemoryMarshal.GetReference(v);
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        for (; i <= n - w; i += w)
        {
            Vector<float> r = TOp.Invoke(Vector.LoadUnsafe(ref dyr, (nuint)i), Vector.LoadUnsafe(ref vr, (nuint)i),
                Vector.LoadUnsafe(ref dxr, (nuint)i));
            r.StoreUnsafe(ref dxr, (nuint)i);
        }
        if (i < n) BackwardTail<TOp>(dy[i..], v[i..], dx[i..n]);
    }

    /// <summary>The destination must be long enough and may alias a source only from the same start.</summary>
    private static void CheckDestination(ReadOnlySpan<float> source, ReadOnlySpan<float> destination, string op, string name)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"{op}: destination has {destination.Length} elements but the input has {source.Length}.", name);
        if (source.Overlaps(destination, out int offset) && offset != 0)
            throw new ArgumentException($"{op}: destination partially overlaps an input (offset {offset}); only same-start aliasing is allowed.", name);
    }

    // Kept out of line: the stackalloc would otherwise make the main loop's locals address-taken.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void UnaryTail<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnaryOperator
    {
        Span<float> buf = stackalloc float[Vector<float>.Count];
        buf.Clear();
        x.CopyTo(buf);
        TOp.Invoke(new Vector<float>(buf)).CopyTo(buf);
        buf[..x.Length].CopyTo(y);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BackwardTail<TOp>(ReadOnlySpan<float> dy, ReadOnlySpan<float> v, Span<float> dx)
        where TOp : struct, IBackwardOperator
    {
        int w = Vector<float>.Count, n = dy.Length;
        Span<float> buf = stackalloc float[3 * w];
        buf.Clear();
        dy.CopyTo(buf);
        v.CopyTo(buf[w..]);
        dx[..n].CopyTo(buf[(2 * w)..]);
        TOp.Invoke(new Vector<float>(buf), new Vector<float>(buf[w..]), new Vector<float>(buf[(2 * w)..])).CopyTo(buf);
        buf[..n].CopyTo(dx);
    }
}
