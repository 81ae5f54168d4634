// Broadcasting multiplication. y = a·b; da = reduce(dy·b), db = reduce(dy·a).

using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Elementwise a · b with NumPy broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        Tensor y = TensorStorage.Uninitialized(ShapeRules.Broadcast(a.Shape, b.Shape, "mul"));
        Broadcasting.Binary(BinaryKind.Mul, a, b, y);
        Tape.Of(a, b)?.Record("mul", y, [a, b], MulBackward);
        return y;
    }

    private static void MulBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor a = node.Inputs[0], b = node.Inputs[1];
        if (grads.Wants(a)) Broadcasting.AccumulateReduced(Product(dy, b), grads.For(a));
        if (grads.Wants(b)) Broadcasting.AccumulateReduced(Product(dy, a), grads.For(b));
    }

    /// <summary>dy · x broadcast to dy's shape, untracked.</summary>
    private static Tensor Product(Tensor dy, Tensor x)
    {
        Tensor p = Tensor.Zeros(dy.Shape.ToArray());
        Broadcasting.Binary(BinaryKind.Mul, dy, x, p);
        return p;
    }
}
