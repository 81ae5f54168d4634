// Pooled packing buffers for the managed GEMM: pinned (pinned object heap, so raw pointers stay valid while the
// workspace is alive), each segment 64-byte aligned for aligned vector loads, reused across calls and threads.

using System.Runtime.CompilerServices;

namespace Unravel.Tensors.Kernels;

/// <summary>One thread's packed-A block, packed-B block and edge tile.</summary>
internal sealed unsafe class GemmWorkspace
{
    private const int MaxPooled = 8;
    private static readonly List<GemmWorkspace> s_pool = [];

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
    private long Size => (long)ALength + BLength + EdgeLength;
    public float* A { get; }
    public float* B { get; }
    public float* Edge { get; }

    /// <summary>A workspace with at least the given segment lengths.</summary>
    public static GemmWorkspace Rent(int aLength, int bLength, int edgeLength)
    {
        lock (s_pool)
        {
            // The smallest pooled workspace that fits, so a large shared block is not spent on a small request.
            int best = -1;
            for (int i = 0; i < s_pool.Count; i++)
            {
                GemmWorkspace w = s_pool[i];
                if (w.ALength >= aLength && w.BLength >= bLength && w.EdgeLength >= edgeLength
                    && (best < 0 || w.Size < s_pool[best].Size))
                    best = i;
            }
            if (best >= 0)
            {
                GemmWorkspace w = s_pool[best];
                s_pool.RemoveAt(best);
                return w;
            }
        }
        return new GemmWorkspace(aLength, bLength, edgeLength);
    }

    public static void Return(GemmWorkspace workspace)
    {
        lock (s_pool)
        {
            if (s_pool.Count < MaxPooled)
            {
                s_pool.Add(workspace);
                return;
            }
            // Full: keep the larger workspaces, which are the costly ones to allocate again.
            int smallest = 0;
            for (int i = 1; i < s_pool.Count; i++)
                if (s_pool[i].Size < s_pool[smallest].Size) smallest = i;
            if (s_pool[smallest].Size < workspace.Size) s_pool[smallest] = workspace;
        }
    }

    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);
}
