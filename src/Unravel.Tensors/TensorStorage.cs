// Storage allocation for op outputs. A large `new float[]` is served by the GC from freshly committed (or decommitted
// and recommitted) pages, so the first write to every 4 KiB page faults; on the 2-core VMs this runs on, that costs
// ~2 µs per page, and a ResNet-18 forward at batch 16 (≈ 500 MiB of activations) spent ~25 % of its time there.
// GC.AllocateUninitializedArray reuses freed large-object-heap memory as it is, so ops that overwrite their whole
// output take it uninitialised, and Tensor.Zeros clears such memory itself (a memset is ~5× cheaper than the faults).
// Inside an ArenaScope both come from the scope's TensorArena instead: the same buffers every batch, no new pages.

namespace Unravel.Tensors;

/// <summary>Allocation helpers for op outputs.</summary>
internal static class TensorStorage
{
    /// <summary>A tensor whose elements are unspecified; only for outputs that the op then writes in full.</summary>
    public static Tensor Uninitialized(params int[] shape)
    {
        ShapeRules.Validate(shape, "Uninitialized");
        if (ArenaScope.Active is { } scope && scope.TryAllocate((int[])shape.Clone()) is { } pooled) return pooled;
        return Tensor.FromArray(GC.AllocateUninitializedArray<float>(ShapeRules.Count(shape)), shape);
    }

    /// <summary>Above this many floats (64 MiB) a zeroed array comes from fresh OS pages: committed lazily, so a huge
    /// tensor that is mostly never written (a checkpoint placeholder, a sparse gradient) costs no memory up front.</summary>
    private const int LazyZeroLength = 1 << 24;

    /// <summary>A zeroed array of <paramref name="length"/> floats without the page-fault cost of a fresh large array.</summary>
    public static float[] ZeroedArray(int length)
    {
        if (length >= LazyZeroLength) return new float[length];
        float[] a = GC.AllocateUninitializedArray<float>(length);
        a.AsSpan().Clear();
        return a;
    }
}
