// Backward functions that write a fresh gradient buffer instead of zeroing and accumulating (GradStore.ForWrite):
// the first contribution overwrites, later ones add. Each op is checked once alone and once with its input feeding two
// branches, whose gradient must be the sum of both contributions.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class FreshGradientTests
{
    public static TheoryData<string> Ops => ["relu", "add_same_shape", "add_broadcast", "batch_norm2d_eval", "batch_norm2d_train"];

    [Theory]
    [MemberData(nameof(Ops))]
    public void Backward_FirstWriteThenAccumulate_MatchesTwiceTheSingleGradient(string op)
    {
        var rng = new Random(12);
        Tensor x = Tensor.RandomNormal(rng, 2, 3, 4, 5), dy = Tensor.RandomNormal(rng, 2, 3, 4, 5);
        Tensor w = Tensor.RandomUniform(rng, 0.5f, 1.5f, 3), b = Tensor.RandomNormal(rng, 3);
        Tensor bcast = Tensor.RandomNormal(rng, 3, 1, 5);
        Tensor F(Tensor t) => op switch
        {
            "relu" => Tensors.Ops.Relu(t),
            "add_same_shape" => Tensors.Ops.Add(t, dy),
            "add_broadcast" => Tensors.Ops.Add(bcast, t),
            "batch_norm2d_eval" => Tensors.Ops.BatchNorm2d(t, w, b, Tensor.Zeros(3), Tensor.Full(2f, 3), training: false),
            _ => Tensors.Ops.BatchNorm2d(t, w, b, Tensor.Zeros(3), Tensor.Full(2f, 3), training: true),
        };

        Tensor once;
        using (var tape = new Tape())
        {
            Tensor xs = tape.Watch(x.Clone());
            once = tape.Backward(F(xs), dy)[xs]!;
        }
        Tensor twice;
        using (var tape = new Tape())
        {
            Tensor xs = tape.Watch(x.Clone());
            twice = tape.Backward(Tensors.Ops.Add(F(xs), F(xs)), dy)[xs]!;
        }
        var expected = Tensor.FromArray(once.ToArray().Select(v => 2 * v).ToArray(), once.Shape.ToArray());
        TensorAssert.GradClose(expected, twice, op);
        Assert.DoesNotContain(once.ToArray(), float.IsNaN);
    }
}
