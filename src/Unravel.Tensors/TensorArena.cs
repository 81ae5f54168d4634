// A per-caller pool of tensor storage for same-shaped batches. A large fresh array costs a page fault per 4 KiB page on
// first touch (~12 µs each on the 2-core VMs this runs on), so a ResNet-50 batch took 17k-200k faults and its time
// varied 1.3-3.7×. Inside a scope (see ArenaScope) op outputs, gradients and clones take arrays from this arena's free
// lists, keyed by exact length; when the scope ends they go back, and the next batch, asking for the same lengths in the
// same order, gets the same (already mapped) arrays: no new pages, no GC allocation beyond small objects.
// Safety rests on two rules: a tensor made in a scope is valid only until the scope ends (ArenaBuffer's generation makes
// a late access throw, never read stale data), and results the caller keeps are copied out with ArenaScope.Keep.
// Reference: the region/arena allocation pattern (Hanson, "Fast allocation and deallocation of memory based on object
// lifetimes", Software: Practice and Experience 1990); PyTorch's caching allocator keys free blocks by size the same way.

namespace Unravel.Tensors;

/// <summary>Reusable storage for the tensors of repeated, same-shaped passes (one per batch loop).</summary>
/// <example><code>
/// var arena = new TensorArena();
/// foreach (Tensor batch in batches)
/// {
///     using ArenaScope scope = arena.Begin();
///     Tensor logits = scope.Keep(model.Forward(batch));   // everything else goes back to the arena here
/// }
/// </code></example>
public sealed class TensorArena
{
    /// <summary>Tensors smaller than this many floats (4 KiB) stay on the GC heap, where small short-lived objects cost
    /// neither page faults nor collections worth pooling against.</summary>
    internal const int MinPooledLength = 1024;

    private static readonly AsyncLocal<ArenaScope?> s_current = new();

    private readonly Dictionary<int, Stack<ArenaBuffer>> _free = [];
    private readonly Lock _lock = new();

    /// <summary>Bytes of arrays this arena has allocated (the pooled working set once it has warmed up).</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Arrays this arena has allocated; constant from batch to batch in the steady state.</summary>
    public int AllocatedBuffers { get; private set; }

    /// <summary>Opens a scope on this arena, nested in the current one if any; dispose it (innermost first) on the same
    /// logical flow (thread or async flow) that opened it.</summary>
    public ArenaScope Begin() => Open(this);

    /// <summary>A scope in the arena of the innermost active scope, or an inert scope (allocating as if there were none,
    /// and whose <see cref="ArenaScope.Keep"/> returns its argument) when no arena is active. For library code that runs
    /// a self-contained pass (one attribution) inside whatever batch loop its caller has.</summary>
    public static ArenaScope BeginNested() => s_current.Value is { } outer ? Open(outer.Arena!) : ArenaScope.Inert;

    /// <summary>Returns <paramref name="tensor"/>'s storage to its arena now, before its scope ends, so the rest of the
    /// pass can reuse it; from then on the tensor (and every view of it) throws on access. A tensor not from an active
    /// scope is left alone.</summary>
    /// <remarks>Only for intermediates nothing else can hold: no hook saw them and no tape recorded them. A tracked tensor
    /// is left alone too, since its tape still needs it for the backward.</remarks>
    public static void Release(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.IsTracked) return;
        if (tensor.Lease is not { Owner: { } owner } lease || !tensor.IsLive) return;
        owner.Arena!.Return(lease);
    }

    /// <summary>Drops the free buffers (those of no active scope), so their memory can be collected.</summary>
    public void Trim()
    {
        lock (_lock) _free.Clear();
    }

    internal static ArenaScope? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    internal ArenaBuffer Rent(int length, ArenaScope owner)
    {
        lock (_lock)
        {
            ArenaBuffer buffer;
            if (_free.TryGetValue(length, out Stack<ArenaBuffer>? stack) && stack.Count > 0) buffer = stack.Pop();
            else
            {
                buffer = new ArenaBuffer(GC.AllocateUninitializedArray<float>(length));
                AllocatedBytes += (long)length * sizeof(float);
                AllocatedBuffers++;
            }
            buffer.Owner = owner;
            return buffer;
        }
    }

    /// <summary>Takes <paramref name="buffer"/> back; every tensor made over it is invalid from here on.</summary>
    internal void Return(ArenaBuffer buffer)
    {
        lock (_lock)
        {
            if (buffer.Owner is null) return;
            buffer.Owner = null;
            buffer.Generation++;
            if (!_free.TryGetValue(buffer.Array.Length, out Stack<ArenaBuffer>? stack)) _free[buffer.Array.Length] = stack = new Stack<ArenaBuffer>();
            stack.Push(buffer);
        }
    }

    private static ArenaScope Open(TensorArena arena)
    {
        var scope = new ArenaScope(arena, s_current.Value);
        s_current.Value = scope;
        return scope;
    }
}
