// The lifetime of one batch's tensors in a TensorArena (see TensorArena.cs). Opening a scope makes it the ambient one for
// the logical flow (an AsyncLocal, so it follows awaits and never leaks to unrelated thread-pool work); op outputs made on
// that flow take arena storage, except inside a parallel loop's chunks (Parallelism.IsNested), whose scratch tensors stay
// on the GC heap so that no two threads share a buffer list. Disposing returns every buffer the scope took.

namespace Unravel.Tensors;

/// <summary>A batch's worth of tensor storage; everything made inside is reclaimed when it is disposed.</summary>
public sealed class ArenaScope : IDisposable
{
    private readonly List<ArenaBuffer> _rented = [];
    private readonly ArenaScope? _parent;
    private bool _disposed;

    internal ArenaScope(TensorArena? arena, ArenaScope? parent)
    {
        Arena = arena;
        _parent = parent;
    }

    /// <summary>A scope that changes nothing: tensors come from the GC heap and <see cref="Keep"/> returns its argument.</summary>
    internal static ArenaScope Inert { get; } = new(null, null);

    /// <summary>The arena, or null for the inert scope.</summary>
    public TensorArena? Arena { get; }

    /// <summary>The scope that op outputs on this flow allocate from now, or null.</summary>
    internal static ArenaScope? Active => TensorArena.Current is { } s && !Parallelism.IsNested ? s : null;

    /// <summary>A tensor of <paramref name="shape"/> over an arena buffer (contents unspecified), or null when the tensor
    /// is too small to pool.</summary>
    internal Tensor? TryAllocate(int[] shape)
    {
        int length = ShapeRules.Count(shape);
        if (length < TensorArena.MinPooledLength || Arena is null) return null;
        ArenaBuffer buffer = Arena.Rent(length, this);
        lock (_rented) _rented.Add(buffer);
        return Tensor.OverLease(buffer, shape);
    }

    /// <summary>The tensor as it will stay valid after this scope: a copy made where the enclosing scope (or, with none, the
    /// GC heap) allocates when its storage belongs to this scope, else <paramref name="tensor"/> itself.</summary>
    /// <returns>An untracked tensor with the same values and shape, or the argument.</returns>
    /// <exception cref="ObjectDisposedException">The scope, or the tensor's storage, has already been reclaimed.</exception>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Arena is null || tensor.Lease?.Owner != this) return tensor;
        int[] shape = tensor.Shape.ToArray();
        Tensor copy = _parent?.TryAllocate(shape) ?? Tensor.FromArray(GC.AllocateUninitializedArray<float>(tensor.Length), shape);
        tensor.Data.CopyTo(copy.Data);
        return copy;
    }

    /// <summary>Returns every buffer taken in this scope to the arena; tensors over them throw from now on.</summary>
    /// <exception cref="InvalidOperationException">A scope opened inside this one is still open, or this one belongs to
    /// another flow.</exception>
    public void Dispose()
    {
        if (_disposed || Arena is null) return;
        if (TensorArena.Current != this)
            throw new InvalidOperationException("ArenaScope.Dispose: scopes end innermost first, on the thread or async flow that opened them.");
        _disposed = true;
        TensorArena.Current = _parent;
        lock (_rented)
        {
            foreach (ArenaBuffer buffer in _rented)
                if (buffer.Owner == this) Arena.Return(buffer);
            _rented.Clear();
        }
    }
}
