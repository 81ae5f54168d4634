// One pooled array of a TensorArena. Tensors over it remember the generation they were made in; returning the buffer to
// the arena bumps the generation, so a tensor that outlived its scope throws on its next access instead of silently
// reading (or writing) another batch's values.

namespace Unravel.Tensors;

/// <summary>A pooled float array and the generation of its current lease.</summary>
internal sealed class ArenaBuffer(float[] array)
{
    public float[] Array { get; } = array;

    /// <summary>Bumped each time the buffer goes back to its arena.</summary>
    public int Generation { get; set; }

    /// <summary>The scope that holds the buffer now, or null while it is free.</summary>
    public ArenaScope? Owner { get; set; }

    public static void ThrowReleased(string shape) => throw new ObjectDisposedException("Tensor",
        $"Tensor {shape}: its storage came from an ArenaScope that has ended or released it, and now holds other values. " +
        "HINT: copy results you keep out of the scope with ArenaScope.Keep.");
}
