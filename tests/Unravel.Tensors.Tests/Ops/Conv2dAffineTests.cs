// Ops.Conv2dAffine (the fused inference epilogue) against the chain of separate ops it replaces, bit for bit, on the
// packed-GEMM path and on the direct (depthwise) path; its tracked form through central differences; shape errors.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class Conv2dAffineTests
{
    [Theory]
    [InlineData(3, 5, 3, 1, 1, 1, true, true, true)]
    [InlineData(4, 6, 3, 2, 1, 1, false, true, false)]
    [InlineData(8, 8, 1, 1, 0, 1, true, false, true)]
    [InlineData(6, 6, 3, 1, 1, 6, true, true, true)]   // depthwise: the direct path, epilogue applied in place
    [InlineData(6, 4, 3, 1, 2, 2, false, false, false)]
    public void Conv2dAffine_EqualsTheSeparateOps_BitForBit(int c, int o, int k, int stride, int padding, int groups,
        bool withBias, bool withResidual, bool relu)
    {
        var rng = new Random(8);
        Tensor x = Tensor.RandomNormal(rng, 2, c, 11, 9), w = Tensor.RandomNormal(rng, o, c / groups, k, k);
        Tensor? b = withBias ? Tensor.RandomNormal(rng, o) : null;
        Tensor scale = Tensor.RandomUniform(rng, 0.5f, 1.5f, o), shift = Tensor.RandomNormal(rng, o);
        var options = new Conv2dOptions { Stride = (stride, stride), Padding = (padding, padding), Groups = groups };
        Tensor expected = Tensors.Ops.Conv2d(x, w, b, options);
        Tensor? residual = withResidual ? Tensor.RandomNormal(rng, expected.Shape.ToArray()) : null;
        // The chain as Mul and Add over [O, 1, 1]: the same float operations as BatchNorm2d's inference kernel.
        expected = Tensors.Ops.Add(Tensors.Ops.Mul(expected, scale.Reshape(o, 1, 1)), shift.Reshape(o, 1, 1));
        if (residual is not null) expected = Tensors.Ops.Add(expected, residual);
        if (relu) expected = Tensors.Ops.Relu(expected);

        Tensor y = Tensors.Ops.Conv2dAffine(x, w, b, options, scale, shift, residual, relu);

        Assert.Equal(expected.ShapeString, y.ShapeString);
        Assert.Equal(expected.ToArray(), y.ToArray());
    }

    [Theory]
    [InlineData(16, 16, 3, 1, 1, 1, true)]     // Winograd (3×3 stride 1, 16 channels, 64 tiles per image)
    [InlineData(8, 12, 3, 2, 1, 1, true)]      // packed GEMM, stride 2 (phased packing)
    [InlineData(8, 24, 1, 1, 0, 1, true)]      // packed GEMM, pointwise
    [InlineData(6, 6, 3, 1, 1, 6, false)]      // depthwise (direct path): a new tensor, the residual left as it was
    public void Conv2dAffine_ConsumeResidual_WritesTheSameValuesOverTheResidual(int c, int o, int k, int stride, int padding, int groups,
        bool consumed)
    {
        var rng = new Random(12);
        Tensor x = Tensor.RandomNormal(rng, 2, c, 16, 16), w = Tensor.RandomNormal(rng, o, c / groups, k, k);
        Tensor scale = Tensor.RandomUniform(rng, 0.5f, 1.5f, o), shift = Tensor.RandomNormal(rng, o);
        var options = new Conv2dOptions { Stride = (stride, stride), Padding = (padding, padding), Groups = groups };
        int size = (16 + 2 * padding - k) / stride + 1;
        Tensor residual = Tensor.RandomNormal(rng, 2, o, size, size);
        float[] before = residual.ToArray();
        float[] expected = Tensors.Ops.Conv2dAffine(x, w, null, options, scale, shift, residual, relu: true).ToArray();

        Tensor y = Tensors.Ops.Conv2dAffine(x, w, null, options, scale, shift, residual, relu: true, consumeResidual: true);

        Assert.Equal(expected, y.ToArray());
        Assert.Equal(consumed, ReferenceEquals(y, residual));
        Assert.Equal(consumed ? expected : before, residual.ToArray());
        using var tape = new Tape { FuseInference = true };       // recorded: never written over (the backward's input)
        Tensor tracked = tape.Watch(Tensor.RandomNormal(rng, 2, o, size, size));
        Assert.NotSame(tracked, Tensors.Ops.Conv2dAffine(x, w, null, options, scale, shift, tracked, relu: true, consumeResidual: true));
    }

    [Fact]
    public void Conv2dAffine_NoScaleShift_IsConvPlusResidualAndRelu()
    {
        var rng = new Random(9);
        Tensor x = Tensor.RandomNormal(rng, 1, 4, 7, 7), w = Tensor.RandomNormal(rng, 4, 4, 3, 3);
        Tensor r = Tensor.RandomNormal(rng, 1, 4, 7, 7);
        Tensor expected = Tensors.Ops.Relu(Tensors.Ops.Add(Tensors.Ops.Conv2d(x, w, null, padding: 1, stride: 1), r));
        Tensor y = Tensors.Ops.Conv2dAffine(x, w, null, new Conv2dOptions { Padding = (1, 1) }, null, null, r, relu: true);
        Assert.Equal(expected.ToArray(), y.ToArray());
    }

    /// <summary>With Tape.FuseInference and untracked parameters the op records one node; its input and residual
    /// gradients equal those of the separate ops' graph (different summation order, so to a tolerance).</summary>
    [Theory]
    [InlineData(3, 5, 3, 1, 1, 1, true, true)]     // Winograd-eligible 3×3, residual, ReLU
    [InlineData(4, 6, 3, 2, 1, 1, false, true)]    // stride 2 (packed), no residual
    [InlineData(8, 8, 1, 1, 0, 1, true, false)]    // pointwise, no ReLU
    [InlineData(6, 6, 3, 1, 1, 6, true, true)]     // depthwise (direct)
    public void Conv2dAffine_FuseInference_RecordsOneNodeWithTheChainsGradients(int c, int o, int k, int stride, int padding, int groups,
        bool withResidual, bool relu)
    {
        var rng = new Random(11);
        Tensor x = Tensor.RandomNormal(rng, 2, c, 12, 10), w = Tensor.RandomNormal(rng, o, c / groups, k, k), b = Tensor.RandomNormal(rng, o);
        Tensor scale = Tensor.RandomUniform(rng, 0.5f, 1.5f, o), shift = Tensor.RandomNormal(rng, o);
        var options = new Conv2dOptions { Stride = (stride, stride), Padding = (padding, padding), Groups = groups };
        int[] outShape = Tensors.Ops.Conv2d(x, w, b, options).Shape.ToArray();
        Tensor? r = withResidual ? Tensor.RandomNormal(rng, outShape) : null;
        Tensor seed = Tensor.RandomNormal(rng, outShape);

        (float[] Y, float[] Dx, float[]? Dr, string[] Ops) Run(bool fuse, bool keep = true)
        {
            using var tape = new Tape { FuseInference = fuse, KeepIntermediateGradients = keep };
            Tensor xs = tape.Watch(x.Clone());
            Tensor? rs = r is null ? null : tape.Watch(r.Clone());
            Tensor y = Tensors.Ops.Conv2dAffine(xs, w, b, options, scale, shift, rs, relu);
            GradStore g = tape.Backward(y, seed);
            return (y.ToArray(), g[xs]!.ToArray(), rs is null ? null : g[rs]!.ToArray(), tape.Nodes.Select(n => n.Op).ToArray());
        }

        var fused = Run(fuse: true);
        var chain = Run(fuse: false);
        Assert.Equal(["conv2d_affine"], fused.Ops);
        Assert.Contains("conv2d", chain.Ops);
        Assert.Equal(chain.Y, fused.Y);                                   // same forward kernels, bit for bit
        TensorAssert.Close(chain.Dx, fused.Dx, 1e-5f, 1e-4f, "dx");
        if (r is not null) TensorAssert.Close(chain.Dr!, fused.Dr!, 1e-6f, 1e-6f, "d residual");
        Assert.Contains(fused.Dx, v => v != 0f);

        // Dropping intermediates, the residual's gradient takes over the output gradient's buffer: same values.
        var dropping = Run(fuse: true, keep: false);
        Assert.Equal(fused.Dx, dropping.Dx);
        if (r is not null) Assert.Equal(fused.Dr!, dropping.Dr!);
    }

    [Fact]
    public void Conv2dAffine_FuseInference_TrackedWeight_RecordsTheChain()
    {
        var rng = new Random(12);
        Tensor x = Tensor.RandomNormal(rng, 1, 3, 6, 6), w = Tensor.RandomNormal(rng, 4, 3, 3, 3);
        using var tape = new Tape { FuseInference = true };
        Tensor y = Tensors.Ops.Conv2dAffine(tape.Watch(x.Clone()), tape.Watch(w.Clone()), null, new Conv2dOptions { Padding = (1, 1) },
            Tensor.Full(1f, 4), Tensor.Zeros(4), null, relu: true);
        Assert.DoesNotContain(tape.Nodes, n => n.Op == "conv2d_affine");
        Assert.Contains(tape.Nodes, n => n.Op == "conv2d");
        Assert.True(y.IsTracked);
    }

    [Fact]
    public void Conv2dAffine_Tracked_RecordsTheChainAndPassesCentralDifference()
    {
        var rng = new Random(10);
        Tensor x = Tensor.RandomNormal(rng, 2, 3, 5, 6), w = Tensor.RandomNormal(rng, 4, 3, 3, 3);
        Tensor scale = Tensor.RandomUniform(rng, 0.5f, 1.5f, 4), shift = Tensor.RandomNormal(rng, 4);
        Tensor r = Tensor.RandomNormal(rng, 2, 4, 5, 6);
        var options = new Conv2dOptions { Padding = (1, 1) };
        using (var tape = new Tape())
        {
            Tensor y = Tensors.Ops.Conv2dAffine(tape.Watch(x.Clone()), w, null, options, scale, shift, r, relu: false);
            Assert.Contains(tape.Nodes, n => n.Op == "conv2d");
        }
        GradCheck.Check(t => Tensors.Ops.Conv2dAffine(t[0], t[1], null, options, t[2], t[3], t[4], relu: false),
            [x, w, scale, shift, r], "conv2d_affine");
    }

    [Fact]
    public void Conv2dAffine_WrongScaleOrResidual_ThrowsNamingOpAndShapes()
    {
        Tensor x = Tensor.Zeros(1, 2, 5, 5), w = Tensor.Zeros(3, 2, 3, 3), s = Tensor.Zeros(3);
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Conv2dAffine(x, w, null, null, Tensor.Zeros(4), s, null, false));
        Assert.Contains("conv2d_affine", e.Message);
        Assert.Contains("[4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Conv2dAffine(x, w, null, null, s, null, null, false));
        Assert.Contains("conv2d_affine", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Conv2dAffine(x, w, null, null, s, s, Tensor.Zeros(1, 3, 4, 4), false));
        Assert.Contains("[1, 3, 4, 4]", e.Message);
        Assert.Contains("[1, 3, 3, 3]", e.Message);
    }
}
