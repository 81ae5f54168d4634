// A promise that some tensors (a model's weights) do not change for a while, so kernels may keep what they derive
// from them across calls instead of deriving it on every call. The packed-GEMM convolution repacks its weights into
// micro-kernel panels on each call: 47 MB of copying per ResNet-18 forward, 12–13 % of its time at batch 1. Inside a
// FrozenWeights scope the packed panels of a frozen weight are built on its first use and reused until the scope ends
// (what inference engines call weight prepacking; torch.jit.freeze and oneDNN's prepacked weights do the same).
//
// Tensor.Data is a writable span with no version counter, so the promise cannot be enforced as writes happen. Instead
// the scope records a checksum of every weight it packed and checks it again on Dispose: a weight written inside the
// scope makes Dispose throw, naming it, because results computed after the write used the old values. A Parameter
// whose Value is replaced by a new tensor (canonizers, optimizers) is simply no longer frozen: the key is the tensor.
// Packed forms are bit-identical to the per-call ones, so results do not depend on whether a scope is open.

using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unravel.Tensors;

/// <summary>A scope in which the given tensors are promised unchanged, so kernels may cache forms derived from them
/// (packed convolution weights). Dispose it to release the caches; it throws if a frozen tensor that was cached changed.</summary>
public sealed class FrozenWeights : IDisposable
{
    private static readonly ConcurrentDictionary<Tensor, Entry> Frozen = new(ReferenceEqualityComparer.Instance);
    private static int s_frozenCount;

    private readonly (string Name, Tensor Tensor)[] _tensors;
    private bool _disposed;

    private FrozenWeights((string Name, Tensor Tensor)[] tensors) => _tensors = tensors;

    /// <summary>Freezes <paramref name="tensors"/> (name, tensor) until the returned scope is disposed. Scopes may nest and
    /// overlap; a tensor stays frozen while any scope holds it. Names appear in the error when a frozen tensor changed.</summary>
    public static FrozenWeights Freeze(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        (string Name, Tensor Tensor)[] list = tensors.ToArray();
        foreach ((_, Tensor t) in list)
        {
            Entry e = Frozen.GetOrAdd(t, _ => new Entry());
            lock (e)
            {
                if (e.Holders++ == 0) Interlocked.Increment(ref s_frozenCount);
            }
        }
        return new FrozenWeights(list);
    }

    /// <summary>Number of derived forms currently cached for <paramref name="tensor"/> (0 when it is not frozen).</summary>
    public static int CachedForms(Tensor tensor) => Frozen.TryGetValue(tensor, out Entry? e) ? e.Forms.Count : 0;

    /// <summary>Releases this scope's hold on its tensors and drops caches no scope needs any more.</summary>
    /// <exception cref="InvalidOperationException">A tensor whose derived form was cached changed inside the scope.</exception>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var changed = new List<string>();
        foreach ((string name, Tensor t) in _tensors)
        {
            if (!Frozen.TryGetValue(t, out Entry? e)) continue;
            lock (e)
            {
                if (e.Forms.Count > 0 && e.Checksum != Checksum(t.Data)) changed.Add(name);
                if (--e.Holders > 0) continue;
                Frozen.TryRemove(t, out _);
                Interlocked.Decrement(ref s_frozenCount);
                e.Forms.Clear();
            }
        }
        if (changed.Count > 0)
            throw new InvalidOperationException(
                $"Frozen weights changed while frozen: {string.Join(", ", changed)}. Results computed after the change used the old values; "
                + "change weights only outside a FrozenWeights scope (Module.FreezeWeights).");
    }

    /// <summary>Builds a derived form of a tensor into a float buffer; the pointer is 64-byte aligned.</summary>
    internal unsafe delegate void Derive(float* destination);

    /// <summary>The cached form <paramref name="layout"/> of <paramref name="tensor"/>, built by <paramref name="derive"/>
    /// into <paramref name="length"/> floats on first use; null when the tensor is not frozen. The pointer stays valid
    /// until the scope ends (the buffer is pinned).</summary>
    internal static unsafe float* Cached(Tensor? tensor, object layout, long length, Derive derive)
    {
        if (tensor is null || Volatile.Read(ref s_frozenCount) == 0 || !Frozen.TryGetValue(tensor, out Entry? e)) return null;
        lock (e)
        {
            if (e.Holders == 0) return null;
            if (!e.Forms.TryGetValue(layout, out float[]? buffer))
            {
                if (e.Forms.Count == 0) e.Checksum = Checksum(tensor.Data);
                buffer = GC.AllocateUninitializedArray<float>(checked((int)(length + 16)), pinned: true);
                derive(Align(buffer));
                e.Forms.Add(layout, buffer);
            }
            return Align(buffer);
        }
    }

    private static unsafe float* Align(float[] pinned)
    {
        float* p = (float*)Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0);
        return (float*)(((nint)p + 63) & ~(nint)63);
    }

    /// <summary>Fletcher-style sums of the raw bits over 8 lanes: a write to any element changes them (barring a change
    /// crafted to cancel in both sums).</summary>
    internal static ulong Checksum(ReadOnlySpan<float> data)
    {
        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(data);
        Vector256<uint> s1 = Vector256<uint>.Zero, s2 = Vector256<uint>.Zero;
        int i = 0;
        for (; i + 8 <= bits.Length; i += 8)
        {
            s1 += Vector256.Create(bits.Slice(i, 8));
            s2 += s1;
        }
        ulong tail = 0;
        for (; i < bits.Length; i++) tail = tail * 1_000_003 + bits[i];
        ulong h = tail ^ (ulong)bits.Length;
        for (int lane = 0; lane < 8; lane++) h = (h * 1_000_003 + s1[lane]) * 1_000_003 + s2[lane];
        return h;
    }

    private sealed class Entry
    {
        public int Holders;
        public ulong Checksum;
        public Dictionary<object, float[]> Forms { get; } = [];
    }
}
