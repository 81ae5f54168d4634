// Tape.KeepIntermediateGradients: with it off, Backward returns only the watched leaves' gradients (as PyTorch keeps no
// non-leaf gradients), and those equal the gradients of a default walk, also when a leaf and an intermediate feed
// several ops (a residual connection).

using Unravel.Tensors.Autograd;

namespace Unravel.Tensors.Tests;

public sealed class TapeIntermediateGradientTests
{
    [Fact]
    public void Backward_WithoutIntermediates_GivesTheSameLeafGradientsAndNoOthers()
    {
        var rng = new Random(13);
        Tensor x0 = Tensor.RandomNormal(rng, 3, 4), w0 = Tensor.RandomNormal(rng, 4, 4);
        (GradStore Grads, Tensor X, Tensor W, Tensor H) Run(bool keep)
        {
            var tape = new Tape { KeepIntermediateGradients = keep };
            Tensor x = tape.Watch(x0.Clone()), w = tape.Watch(w0.Clone());
            Tensor h = Tensors.Ops.Relu(Tensors.Ops.Linear(x, w));                   // intermediate used twice below
            Tensor y = Tensors.Ops.Sum(Tensors.Ops.Add(Tensors.Ops.Mul(h, h), Tensors.Ops.Add(h, x)));
            return (tape.Backward(y), x, w, h);
        }

        (GradStore all, Tensor xa, Tensor wa, Tensor ha) = Run(keep: true);
        (GradStore leaves, Tensor xl, Tensor wl, Tensor hl) = Run(keep: false);

        Assert.NotNull(all[ha]);
        Assert.Null(leaves[hl]);
        Assert.Equal(2, leaves.Count);
        Assert.Equal(all[xa]!.ToArray(), leaves[xl]!.ToArray());
        Assert.Equal(all[wa]!.ToArray(), leaves[wl]!.ToArray());
    }
}
