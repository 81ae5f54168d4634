// Small elementwise helpers for the attribution rules. They act on untracked copies (no tape), because the rules run
// inside a backward walk and must not record onto the tape being walked.

using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Unravel.Tensors;

namespace Unravel.Interpret.Attribution;

internal static class Elementwise
{
    /// <summary>max(x, 0), untracked.</summary>
    public static Tensor Positive(Tensor x)
    {
        Tensor y = Tensor.Zeros(x.Shape.ToArray());
        TensorPrimitives.Max(x.Data, 0f, y.Data);
        return y;
    }

    /// <summary>min(x, 0), untracked.</summary>
    public static Tensor Negative(Tensor x)
    {
        Tensor y = Tensor.Zeros(x.Shape.ToArray());
        TensorPrimitives.Min(x.Data, 0f, y.Data);
        return y;
    }

    /// <summary>a + scale·b, untracked.</summary>
    public static Tensor AddScaled(Tensor a, Tensor b, float scale)
    {
        Tensor y = Tensor.Zeros(a.Shape.ToArray());
        TensorPrimitives.MultiplyAdd(b.Data, scale, a.Data, y.Data);
        return y;
    }

    /// <summary>a + b, untracked.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        Tensor y = Tensor.Zeros(a.Shape.ToArray());
        TensorPrimitives.Add(a.Data, b.Data, y.Data);
        return y;
    }

    /// <summary>a ⊙ b, untracked.</summary>
    public static Tensor Multiply(Tensor a, Tensor b)
    {
        Tensor y = Tensor.Zeros(a.Shape.ToArray());
        TensorPrimitives.Multiply(a.Data, b.Data, y.Data);
        return y;
    }

    /// <summary>x², untracked.</summary>
    public static Tensor Square(Tensor x) => Multiply(x, x);

    /// <summary>A tensor of ones shaped like <paramref name="x"/>.</summary>
    public static Tensor OnesLike(Tensor x) => Tensor.Full(1f, x.Shape.ToArray());

    /// <summary>Σ x as a double (relevance totals for the conservation report).</summary>
    public static double Sum(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += v;
        return s;
    }

    /// <summary>acc += a ⊙ b.</summary>
    public static void MultiplyAccumulate(Tensor a, Tensor b, Span<float> acc) => TensorPrimitives.MultiplyAdd(a.Data, b.Data, acc, acc);

    /// <summary>acc -= scale · a ⊙ b, i.e. acc += (−scale·a) ⊙ b.</summary>
    public static void MultiplyAccumulate(Tensor a, Tensor b, float scale, Span<float> acc)
    {
        Span<float> tmp = new float[acc.Length];
        TensorPrimitives.Multiply(a.Data, b.Data, tmp);
        TensorPrimitives.MultiplyAdd(tmp, scale, acc, acc);
    }
}
