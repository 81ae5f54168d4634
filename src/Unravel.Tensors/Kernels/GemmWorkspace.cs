// Pooled packing buffers for the managed GEMM: pinned (pinned object heap, so raw pointers stay valid while the
// workspace is alive), each segment 64-byte aligned for aligned vector loads, reused across calls and threads.

using System.Runtime.CompilerServices;

namespace Unravel.Tensors.Kernels;

/// <summary>One thread's packed-A block, packed-B block and edge tile.</summary>
internal sealed unsafe class GemmWorkspace
{
    private const int MaxPooled = 8;
    private static readonly Stack<GemmWorkspace> s_pool = new();

    private readonly float[] _storage;

    private GemmWorkspace(int aLength, int bLength, int edgeLength)
    {
        ALength = aLength;
        BLength = bLength;
        EdgeLength = edgeLength;
        _storage = GC.AllocateUninitializedArray<float>(aLength + bLength + edgeLength + 3 * 16, pinned: true);
        float* p = (float*)(((nint)Unsafe.AsPointer(ref _storage[0]) + 63) & ~(nint)63);
        A = p;
        B = Align(A + aLength);
        Edge = Align(B + bLength);
    }

    public int ALength { get; }
    public int BLength { get; }
    public int EdgeLength { get; }
    public float* A { get; }
    public float* B { get; }
    public float* Edge { get; }

    /// <summary>A workspace with at least the given segment lengths.</summary>
    public static GemmWorkspace Rent(int aLength, int bLength, int edgeLength)
    {
        lock (s_pool)
        {
            while (s_pool.Count > 0)
            {
                GemmWorkspace w = s_pool.Pop();
                if (w.ALength >= aLength && w.BLength >= bLength && w.EdgeLength >= edgeLength) return w;
            }
        }
        return new GemmWorkspace(aLength, bLength, edgeLength);
    }

    public static void Return(GemmWorkspace workspace)
    {
        lock (s_pool)
            if (s_pool.Count < MaxPooled) s_pool.Push(workspace);
    }

    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);
}
