// Broadcasting addition. y = a + b; da = reduce(dy), db = reduce(dy) over the broadcast dimensions.

using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Elementwise a + b with NumPy broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public static Tensor Add(Tensor a, Tensor b)
    {
        using KernelTimer timer = KernelTimer.Begin("elementwise", a, b);
        Tensor y = TensorStorage.Uninitialized(ShapeRules.Broadcast(a.Shape, b.Shape, "add"));
        Broadcasting.Binary(BinaryKind.Add, a, b, y);
        Tape.Of(a, b)?.Record("add", y, [a, b], AddBackward);
        return y;
    }

    private static void AddBackward(Node node, Tensor dy, GradStore grads)
    {
        bool adopted = false;
        foreach (Tensor x in node.Inputs)
        {
            if (!grads.Wants(x)) continue;
            // The first input may take dy's buffer itself (dy is dropped after this node); dy is not modified here.
            if (!adopted && grads.TryAdopt(x, dy))
            {
                adopted = true;
                continue;
            }
            Tensor dx = grads.ForWrite(x, out bool fresh);
            if (dx.Shape.SequenceEqual(dy.Shape)) ElementwiseParallel.CopyOrAdd(dy, dx, fresh);
            else
            {
                if (fresh) dx.Data.Clear();
                Broadcasting.AccumulateReduced(dy, dx);
            }
        }
    }
}
