// Gradients keyed by tensor identity. Backward functions accumulate into For(x); the store zeroes on creation.

using System.Diagnostics.CodeAnalysis;

namespace Unravel.Tensors.Autograd;

/// <summary>Gradients of tracked tensors (leaves and intermediates), keyed by reference.</summary>
public sealed class GradStore
{
    private readonly Dictionary<Tensor, Tensor> _grads = new(ReferenceEqualityComparer.Instance);

    /// <summary>The gradient of <paramref name="tensor"/>, or null when nothing flowed into it.</summary>
    public Tensor? this[Tensor tensor] => _grads.GetValueOrDefault(tensor);

    public int Count => _grads.Count;

    public bool TryGet(Tensor tensor, [NotNullWhen(true)] out Tensor? grad) => _grads.TryGetValue(tensor, out grad);

    /// <summary>True when <paramref name="tensor"/> is tracked, i.e. a backward should produce its gradient.</summary>
    public bool Wants(Tensor? tensor) => tensor is { IsTracked: true };

    /// <summary>The accumulation buffer for <paramref name="tensor"/>'s gradient, created zeroed on first use.</summary>
    public Tensor For(Tensor tensor)
    {
        if (!_grads.TryGetValue(tensor, out Tensor? g))
        {
            g = Tensor.Zeros(tensor.Shape.ToArray());
            _grads.Add(tensor, g);
        }
        return g;
    }

    /// <summary>The gradient buffer of <paramref name="tensor"/> for a backward that can write it whole. When no gradient
    /// exists yet, the buffer is created uninitialised and <paramref name="fresh"/> is true: the caller must then
    /// overwrite every element (dx = …) instead of accumulating (dx += …), which saves zeroing and re-reading it.</summary>
    internal Tensor ForWrite(Tensor tensor, out bool fresh)
    {
        fresh = !_grads.TryGetValue(tensor, out Tensor? g);
        if (g is null)
        {
            g = TensorStorage.Uninitialized(tensor.Shape.ToArray());
            _grads.Add(tensor, g);
        }
        return g;
    }

    /// <summary>True while a <see cref="Tape.Backward"/> walk drops each op output's gradient as soon as its node has run
    /// (<see cref="Tape.KeepIntermediateGradients"/> false), so a backward may hand that buffer on to an input.</summary>
    internal bool DropsIntermediates { get; set; }

    /// <summary>Makes <paramref name="dy"/>, the gradient of the node being walked, also the gradient of
    /// <paramref name="tensor"/> (no copy, no new buffer) when the walk drops intermediates, the tensor has no gradient yet
    /// and the shapes match; the caller then turns dy into the input gradient in place. False, and nothing changed,
    /// otherwise. Safe because the node's output gradient is removed right after its backward, so the buffer has one
    /// owner again before anything accumulates into it.</summary>
    internal bool TryAdopt(Tensor tensor, Tensor dy)
    {
        if (!DropsIntermediates || _grads.ContainsKey(tensor) || !tensor.Shape.SequenceEqual(dy.Shape)) return false;
        _grads.Add(tensor, dy);
        return true;
    }

    /// <summary>Adds <paramref name="grad"/> into the gradient of <paramref name="tensor"/> (shapes must match in length).</summary>
    public void Accumulate(Tensor tensor, ReadOnlySpan<float> grad)
    {
        Span<float> g = For(tensor).Data;
        if (grad.Length != g.Length)
            throw new ArgumentException($"GradStore.Accumulate: gradient of {grad.Length} values for tensor of shape {tensor.ShapeString}.");
        System.Numerics.Tensors.TensorPrimitives.Add(g, grad, g);
    }

    /// <summary>Adds every gradient of <paramref name="other"/> into this store.</summary>
    public void AddFrom(GradStore other)
    {
        foreach ((Tensor t, Tensor g) in other._grads) Accumulate(t, g.Data);
    }

    /// <summary>Drops the gradient of <paramref name="tensor"/> (e.g. an intermediate no longer needed).</summary>
    public void Remove(Tensor tensor) => _grads.Remove(tensor);
}
