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

    [Fact]
    public void Backward_WithoutIntermediates_InPlaceResidualChain_GivesBitIdenticalInputGradient()
    {
        // Eval batch norm → relu → + skip → relu, then h + h: every backward that can hand dy on in place does so.
        var rng = new Random(17);
        Tensor x0 = Tensor.RandomNormal(rng, 2, 3, 4, 5), w = Tensor.RandomNormal(rng, 3), b = Tensor.RandomNormal(rng, 3);
        Tensor mean = Tensor.RandomNormal(rng, 3), variance = Tensor.FromArray([0.5f, 1.5f, 2f], 3);
        Tensor seed = Tensor.RandomNormal(rng, 2, 3, 4, 5);
        float[] Run(bool keep)
        {
            var tape = new Tape { KeepIntermediateGradients = keep };
            Tensor x = tape.Watch(x0.Clone());
            Tensor h = Tensors.Ops.Relu(Tensors.Ops.BatchNorm2d(x, w, b, mean, variance, training: false));
            h = Tensors.Ops.Relu(Tensors.Ops.Add(h, x));
            Tensor y = Tensors.Ops.Add(h, h);
            return tape.Backward(y, seed)[x]!.ToArray();
        }

        float[] kept = Run(keep: true), dropped = Run(keep: false);
        Assert.Equal(kept, dropped);
        // Against the closed form: dy/dx = 2·[z > 0]·([u > 0]·w·rstd + 1), u = bn(x), z = relu(u) + x.
        float[] xs = x0.ToArray(), s = seed.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i / 20 % 3;
            float rstd = 1f / MathF.Sqrt(variance.Data[c] + 1e-5f), u = (xs[i] - mean.Data[c]) * rstd * w.Data[c] + b.Data[c];
            float z = Math.Max(u, 0f) + xs[i];
            float expected = z > 0f ? 2f * s[i] * ((u > 0f ? w.Data[c] * rstd : 0f) + 1f) : 0f;
            Assert.Equal(expected, dropped[i], 4);
        }
    }
}
