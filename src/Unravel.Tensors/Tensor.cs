// Tensor: a float32, row-major, always-contiguous block of numbers with a shape.
// Reshape is a view (same storage); permutes, slices and concats copy explicitly.
// Autograd is opt-in: a tensor takes part in gradient recording only after Tape.Watch or when it is
// produced by an op from a watched tensor while that tape is recording (see Autograd/Tape.cs).

using System.Text;
using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

/// <summary>A float32 row-major tensor. Storage is contiguous; <see cref="Reshape"/> shares it.</summary>
public sealed class Tensor
{
    private readonly float[] _storage;
    private readonly int _offset;
    private readonly int[] _shape;
    private readonly ArenaBuffer? _lease;
    private readonly int _generation;
    private Tape? _tape;

    private Tensor(float[] storage, int offset, int[] shape, ArenaBuffer? lease = null, int generation = 0)
    {
        _storage = storage;
        _offset = offset;
        _shape = shape;
        _lease = lease;
        _generation = generation;
        Length = ShapeRules.Count(shape);
        if (offset < 0 || offset + Length > storage.Length)
            throw new ArgumentException(
                $"Tensor: storage of {storage.Length} floats cannot hold shape {ShapeRules.Format(shape)} at offset {offset}.",
                nameof(storage));
    }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The shape; do not mutate.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    public int Rank => _shape.Length;

    /// <summary>The elements in row-major order (a view of the storage).</summary>
    /// <exception cref="ObjectDisposedException">The tensor was made inside an <see cref="ArenaScope"/> that has ended (or
    /// released it), so its storage now belongs to other tensors; keep it with <see cref="ArenaScope.Keep"/>.</exception>
    public Span<float> Data
    {
        get
        {
            if (_lease is { } lease && lease.Generation != _generation) ArenaBuffer.ThrowReleased(ShapeString);
            return _storage.AsSpan(_offset, Length);
        }
    }

    /// <summary>The tape recording this tensor's history, or null when it is not tracked.</summary>
    public Tape? Tape => _tape is { IsRecording: true } t ? t : null;

    /// <summary>True when an active tape records ops on this tensor.</summary>
    public bool IsTracked => Tape is not null;

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => _shape[ShapeRules.NormalizeAxis(axis, Rank, "Dim")];

    /// <summary>A zeroed tensor. Inside an <see cref="ArenaScope"/> its storage comes from the scope's arena.</summary>
    public static Tensor Zeros(params int[] shape)
    {
        int[] s = (int[])ShapeRules.Validate(shape, "Zeros").Clone();
        if (ArenaScope.Active is { } scope && scope.TryAllocate(s) is { } pooled)
        {
            pooled.Data.Clear();
            return pooled;
        }
        return new(TensorStorage.ZeroedArray(ShapeRules.Count(s)), 0, s);
    }

    public static Tensor Full(float value, params int[] shape)
    {
        Tensor t = Zeros(shape);
        t.Data.Fill(value);
        return t;
    }

    /// <summary>A 0-d tensor (shape []).</summary>
    public static Tensor Scalar(float value) => new([value], 0, []);

    /// <summary>Wraps <paramref name="data"/> without copying, as a 1-D tensor [data.Length].</summary>
    public static Tensor FromArray(float[] data) => new(data, 0, [data.Length]);

    /// <summary>Wraps <paramref name="data"/> without copying, with exactly the given shape (an empty shape is 0-d).</summary>
    /// <exception cref="ArgumentException">The shape's element count differs from the array length.</exception>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        int[] s = (int[])ShapeRules.Validate(shape, "FromArray").Clone();
        if (ShapeRules.Count(s) != data.Length)
            throw new ArgumentException($"FromArray: {data.Length} values cannot fill shape {ShapeRules.Format(s)}.", nameof(data));
        return new Tensor(data, 0, s);
    }

    /// <summary>Copies <paramref name="data"/> into a new tensor of the given shape.</summary>
    public static Tensor FromSpan(ReadOnlySpan<float> data, int[] shape) => FromArray(data.ToArray(), shape);

    /// <summary>Seeded standard-normal values (Box-Muller over <see cref="Random"/>), for tests and init.</summary>
    public static Tensor RandomNormal(Random rng, params int[] shape)
    {
        Tensor t = Zeros(shape);
        Span<float> d = t.Data;
        for (int i = 0; i < d.Length; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            d[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }
        return t;
    }

    /// <summary>Seeded uniform values in [lo, hi).</summary>
    public static Tensor RandomUniform(Random rng, float lo, float hi, params int[] shape)
    {
        Tensor t = Zeros(shape);
        Span<float> d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = lo + (hi - lo) * (float)rng.NextDouble();
        return t;
    }

    /// <summary>A copy of the elements.</summary>
    public float[] ToArray() => Data.ToArray();

    /// <summary>The single value of a one-element tensor.</summary>
    public float ToScalar() => Length == 1 ? Data[0]
        : throw new ArgumentException($"ToScalar: tensor of shape {ShapeString} has {Length} elements, not 1.");

    /// <summary>A new untracked tensor with copied storage (from the arena inside an <see cref="ArenaScope"/>).</summary>
    public Tensor Clone()
    {
        Tensor copy = TensorStorage.Uninitialized(_shape);
        Data.CopyTo(copy.Data);
        return copy;
    }

    /// <summary>The same storage and shape, not tracked by any tape.</summary>
    public Tensor Detach() => new(_storage, _offset, _shape, _lease, _generation);

    /// <summary>Element at a multi-index (slow; for tests and debugging).</summary>
    public float this[params int[] index]
    {
        get => Data[FlatIndex(index)];
        set => Data[FlatIndex(index)] = value;
    }

    /// <summary>A view with a new shape (one dimension may be -1). Recorded on the tape when tracked.</summary>
    /// <exception cref="ArgumentException">The element counts differ.</exception>
    public Tensor Reshape(params int[] shape) => Ops.Reshape(this, shape);

    public string ShapeString => ShapeRules.Format(_shape);

    /// <summary>Same storage, new shape; no tape involvement. For ops that build views.</summary>
    internal Tensor ViewAs(int[] shape) => new(_storage, _offset, shape, _lease, _generation);

    /// <summary>A tensor over the first elements of <paramref name="storage"/>, which may be longer (a pooled array).</summary>
    internal static Tensor OverPrefix(float[] storage, int[] shape) => new(storage, 0, shape);

    /// <summary>A tensor over an arena buffer, valid while the buffer keeps its current generation.</summary>
    internal static Tensor OverLease(ArenaBuffer lease, int[] shape) => new(lease.Array, 0, shape, lease, lease.Generation);

    /// <summary>The arena buffer under this tensor, or null for ordinary storage.</summary>
    internal ArenaBuffer? Lease => _lease;

    /// <summary>True while the storage is valid (always, unless an arena scope has taken it back).</summary>
    internal bool IsLive => _lease is null || _lease.Generation == _generation;

    internal void AttachTape(Tape tape) => _tape = tape;

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Indexer: {index.Length} indices for tensor of shape {ShapeString}.", nameof(index));
        int flat = 0;
        for (int i = 0; i < Rank; i++)
        {
            if ((uint)index[i] >= (uint)_shape[i])
                throw new ArgumentOutOfRangeException(nameof(index), $"Indexer: index {index[i]} out of range for dim {i} of {ShapeString}.");
            flat = flat * _shape[i] + index[i];
        }
        return flat;
    }

    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);

    public override string ToString()
    {
        var sb = new StringBuilder($"Tensor{ShapeString} [");
        int n = Math.Min(Length, 8);
        for (int i = 0; i < n; i++) sb.Append(i == 0 ? "" : ", ").Append(Data[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
        if (Length > n) sb.Append(", …");
        return sb.Append(']').ToString();
    }
}
