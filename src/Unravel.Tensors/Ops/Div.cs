// Broadcasting division. y = a / b; da = reduce(dy / b), db = reduce(-dy · y / b)  (since ∂(a/b)/∂b = -a/b² = -y/b).

using System.Numerics.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Elementwise a / b with NumPy broadcasting (IEEE semantics for division by zero).</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public static Tensor Div(Tensor a, Tensor b)
    {
        Tensor y = TensorStorage.Uninitialized(ShapeRules.Broadcast(a.Shape, b.Shape, "div"));
        Broadcasting.Binary(BinaryKind.Div, a, b, y);
        Tape.Of(a, b)?.Record("div", y, [a, b], DivBackward);
        return y;
    }

    private static void DivBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
        Tensor q = Tensor.Zeros(dy.Shape.ToArray());
        Broadcasting.Binary(BinaryKind.Div, dy, b, q); // dy / b
        if (grads.Wants(a)) Broadcasting.AccumulateReduced(q, grads.For(a));
        if (grads.Wants(b))
        {
            TensorPrimitives.Multiply(q.Data, y.Data, q.Data);
            TensorPrimitives.Negate(q.Data, q.Data);
            Broadcasting.AccumulateReduced(q, grads.For(b));
        }
    }
}
