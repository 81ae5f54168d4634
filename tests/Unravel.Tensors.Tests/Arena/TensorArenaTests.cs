// TensorArena / ArenaScope: buffers are reused from scope to scope, a tensor that outlives its scope (or is released)
// throws instead of showing another batch's values, Keep copies results out into the enclosing scope, scopes end
// innermost first, tracked tensors are never released, and the chunks of a parallel loop never take arena buffers.

using Unravel.Tensors.Autograd;

namespace Unravel.Tensors.Tests.Arena;

public sealed class TensorArenaTests
{
    private const int Big = 4096; // above TensorArena.MinPooledLength

    [Fact]
    public void Begin_SameShapesEachScope_ReusesTheSameBuffers()
    {
        var arena = new TensorArena();
        float[] Pass(float value)
        {
            using ArenaScope scope = arena.Begin();
            Tensor a = Tensor.Full(value, 2, Big);
            Tensor b = Tensors.Ops.Relu(a);
            return scope.Keep(b).ToArray();
        }

        Assert.Equal(Enumerable.Repeat(1f, 2 * Big), Pass(1f));
        int buffers = arena.AllocatedBuffers;
        long bytes = arena.AllocatedBytes;
        Assert.Equal(2, buffers);                              // a and b
        Assert.Equal(2L * 2 * Big * sizeof(float), bytes);
        Assert.Equal(Enumerable.Repeat(3f, 2 * Big), Pass(3f)); // stale buffer contents never show
        Assert.Equal(Enumerable.Repeat(0f, 2 * Big), Pass(-2f));
        Assert.Equal(buffers, arena.AllocatedBuffers);
        Assert.Equal(bytes, arena.AllocatedBytes);
    }

    [Fact]
    public void Tensor_UsedAfterItsScopeEnded_Throws()
    {
        var arena = new TensorArena();
        Tensor escaped;
        Tensor view;
        using (arena.Begin())
        {
            escaped = Tensor.Zeros(Big);
            view = escaped.Reshape(64, Big / 64);
        }
        Assert.Throws<ObjectDisposedException>(() => escaped.ToArray());
        Assert.Throws<ObjectDisposedException>(() => view.ToArray());
        Assert.Throws<ObjectDisposedException>(() => escaped.Clone());

        // Its buffer now serves the next scope, whose tensor stays valid.
        using ArenaScope next = arena.Begin();
        Tensor reused = Tensor.Full(5f, Big);
        Assert.Equal(1, arena.AllocatedBuffers);
        Assert.Equal(5f, reused.Data[Big - 1]);
    }

    [Fact]
    public void Keep_InANestedScope_CopiesIntoTheEnclosingScope()
    {
        var arena = new TensorArena();
        using ArenaScope outer = arena.Begin();
        Tensor kept;
        using (ArenaScope inner = TensorArena.BeginNested())
        {
            Tensor t = Tensor.Full(2f, Big);
            kept = inner.Keep(t);
            Assert.NotSame(t, kept);
            Tensor fromOuter = inner.Keep(kept);
            Assert.Same(kept, fromOuter);                     // not this scope's: already valid outside it
        }
        Assert.Equal(2f, kept.Data[0]);
        Assert.Equal(2, arena.AllocatedBuffers);              // the copy came from the arena, not the GC heap
        outer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => kept.ToArray());
    }

    [Fact]
    public void Keep_InTheOutermostScope_CopiesToTheGcHeap()
    {
        var arena = new TensorArena();
        Tensor kept;
        using (ArenaScope scope = arena.Begin()) kept = scope.Keep(Tensor.Full(4f, 3, Big));
        Assert.Equal(4f, kept[2, Big - 1]);
        Assert.Equal([3, Big], kept.Shape.ToArray());
    }

    [Fact]
    public void BeginNested_WithoutAnArena_IsInert()
    {
        using ArenaScope scope = TensorArena.BeginNested();
        Tensor t = Tensor.Zeros(Big);
        Assert.Same(t, scope.Keep(t));
        scope.Dispose();
        Assert.Equal(0f, t.Data[0]);
    }

    [Fact]
    public void Release_GivesTheBufferToTheNextRequestAndInvalidatesTheTensor()
    {
        var arena = new TensorArena();
        using ArenaScope scope = arena.Begin();
        Tensor a = Tensor.Full(1f, Big);
        TensorArena.Release(a);
        Assert.Throws<ObjectDisposedException>(() => a.ToArray());
        Tensor b = Tensor.Full(2f, Big);
        Assert.Equal(1, arena.AllocatedBuffers);
        Assert.Equal(2f, b.Data[7]);
    }

    [Fact]
    public void Release_OfATrackedTensor_DoesNothing()
    {
        var arena = new TensorArena();
        using ArenaScope scope = arena.Begin();
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.Full(1f, Big));
        Tensor y = Tensors.Ops.Relu(x);
        TensorArena.Release(y);
        Assert.Equal(1f, y.Data[0]);
        Assert.Equal(Big, tape.Backward(Tensors.Ops.Sum(y))[x]!.ToArray().Sum());
    }

    [Fact]
    public void Dispose_OfAnOuterScopeWhileAnInnerIsOpen_Throws()
    {
        var arena = new TensorArena();
        ArenaScope outer = arena.Begin();
        ArenaScope inner = arena.Begin();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
    }

    [Fact]
    public void ParallelChunks_AllocateOnTheGcHeap()
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = 2;
        try
        {
            var arena = new TensorArena();
            using ArenaScope scope = arena.Begin();
            var made = new Tensor[2];
            Parallelism.For(2, 1, (start, end) =>
            {
                for (int i = start; i < end; i++) made[i] = Tensor.Full(i, Big);
            });
            Assert.Equal(0, arena.AllocatedBuffers);
            scope.Dispose();
            Assert.Equal(1f, made[1].Data[0]);                 // not the scope's, so still valid
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void SmallTensors_StayOnTheGcHeap()
    {
        var arena = new TensorArena();
        Tensor small;
        using (arena.Begin()) small = Tensor.Full(1f, 16);
        Assert.Equal(0, arena.AllocatedBuffers);
        Assert.Equal(1f, small.Data[15]);
    }
}
