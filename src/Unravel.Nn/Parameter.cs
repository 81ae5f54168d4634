// A named tensor owned by a module: a trainable weight, or a buffer (e.g. BatchNorm running statistics).

namespace Unravel.Nn;

/// <summary>A weight or buffer; <see cref="Path"/> is its checkpoint key (e.g. "layer1.0.conv1.weight").</summary>
public sealed class Parameter
{
    internal Parameter(string path, Tensor value, bool isBuffer)
    {
        Path = path;
        Value = value;
        IsBuffer = isBuffer;
    }

    public string Path { get; }

    /// <summary>The current value. Replaceable (same shape) by optimizers, canonizers and loaders.</summary>
    public Tensor Value
    {
        get;
        set
        {
            if (field is not null && !field.Shape.SequenceEqual(value.Shape))
                throw new ArgumentException($"Parameter {Path}: new value {value.ShapeString} differs from shape {field.ShapeString}.", nameof(value));
            field = value;
        }
    }

    /// <summary>True for state that is saved but not trained (running mean/var, counters).</summary>
    public bool IsBuffer { get; }

    public override string ToString() => $"{Path} {Value.ShapeString}";
}
