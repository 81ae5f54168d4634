// Reshape: a view over the same storage; the gradient is dy viewed in the input's shape.

using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>A view of <paramref name="x"/> with a new shape; one dimension may be -1 (inferred).</summary>
    /// <exception cref="ArgumentException">The element counts differ, or more than one -1 is given.</exception>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        int[] s = (int[])shape.Clone();
        int infer = Array.IndexOf(s, -1);
        if (infer >= 0)
        {
            if (Array.LastIndexOf(s, -1) != infer)
                throw new ArgumentException($"reshape: at most one -1 allowed in {ShapeRules.Format(shape)} (input {x.ShapeString}).", nameof(shape));
            s[infer] = 1;
            int known = ShapeRules.Count(s);
            s[infer] = known == 0 ? 0 : x.Length / known;
        }
        ShapeRules.Validate(s, "reshape");
        if (ShapeRules.Count(s) != x.Length)
            throw new ArgumentException($"reshape: cannot view input of shape {x.ShapeString} as {ShapeRules.Format(shape)}.", nameof(shape));
        Tensor y = x.ViewAs(s);
        Tape.Of(x)?.Record("reshape", y, [x], ReshapeBackward);
        return y;
    }

    private static void ReshapeBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (grads.Wants(x)) grads.Accumulate(x, dy.Data);
    }
}
