// Broadcasting subtraction. y = a - b; da = reduce(dy), db = -reduce(dy).

using System.Numerics.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Elementwise a - b with NumPy broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        Tensor y = TensorStorage.Uninitialized(ShapeRules.Broadcast(a.Shape, b.Shape, "sub"));
        Broadcasting.Binary(BinaryKind.Sub, a, b, y);
        Tape.Of(a, b)?.Record("sub", y, [a, b], SubBackward);
        return y;
    }

    private static void SubBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor a = node.Inputs[0], b = node.Inputs[1];
        if (grads.Wants(a)) Broadcasting.AccumulateReduced(dy, grads.For(a));
        if (grads.Wants(b))
        {
            Tensor neg = Tensor.Zeros(dy.Shape.ToArray());
            TensorPrimitives.Negate(dy.Data, neg.Data);
            Broadcasting.AccumulateReduced(neg, grads.For(b));
        }
    }
}
