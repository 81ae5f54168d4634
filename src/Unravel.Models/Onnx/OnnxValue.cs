// A value flowing through an imported ONNX graph: either a float tensor of the engine (differentiable, hookable) or an
// integer/boolean tensor held as long values (shapes, indices, masks), which never takes part in gradients.

namespace Unravel.Models.Onnx;

/// <summary>A float <see cref="Tensor"/> or an integer tensor (long values, row-major, with its ONNX element type).</summary>
internal sealed class OnnxValue
{
    private OnnxValue(Tensor? floats, long[]? ints, int[] shape, OnnxElementType type)
    {
        Floats = floats;
        Ints = ints;
        Shape = shape;
        Type = type;
    }

    /// <summary>The float tensor, or null for an integer value.</summary>
    public Tensor? Floats { get; }

    /// <summary>The integer values, or null for a float value.</summary>
    public long[]? Ints { get; }

    public int[] Shape { get; }

    public OnnxElementType Type { get; }

    public bool IsFloat => Floats is not null;

    public int Rank => Shape.Length;

    public int Length => ShapeRules.Count(Shape);

    public static OnnxValue Float(Tensor t) => new(t, null, t.Shape.ToArray(), OnnxElementType.Float);

    public static OnnxValue Int(long[] values, int[] shape, OnnxElementType type = OnnxElementType.Int64)
    {
        if (values.Length != ShapeRules.Count(shape))
            throw new ArgumentException($"onnx: {values.Length} integer values cannot fill shape {ShapeRules.Format(shape)}.");
        return new(null, values, shape, type);
    }

    /// <summary>The float tensor; an integer value is converted (a copy, untracked).</summary>
    public Tensor AsFloat() => Floats ?? Tensor.FromArray(Array.ConvertAll(Ints!, v => (float)v), Shape);

    /// <summary>The values as longs; a float value is truncated toward zero.</summary>
    public long[] AsInts() => Ints ?? Array.ConvertAll(Floats!.ToArray(), v => (long)v);

    public override string ToString() => $"{Type}{ShapeRules.Format(Shape)}";
}
