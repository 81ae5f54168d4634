// The Winograd F(2×2, 3×3) conv path (Kernels/Conv2dWinograd.cs) against the slow seven-loop reference of
// Conv2dKernelsTests: forward with and without the fused epilogue, the input gradient accumulating into dx, on odd output
// sizes, paddings 0–2, channel counts past one KC block, tile blocks spanning images, and both micro-kernel widths.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Kernels;

/// <summary>In the GEMM tests' collection: they switch the process-wide micro-kernel too.</summary>
[Collection(nameof(GemmTests))]
public sealed class Conv2dWinogradTests
{
    // N, C, H, W, O, padding
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 2, 16, 9, 7, 16, 1 },     // odd output height and width: partial last tiles
        new[] { 1, 20, 8, 10, 64, 0 },    // no padding; 64 outputs take the 8-row AVX-512 kernel
        new[] { 3, 24, 5, 6, 36, 2 },     // padding 2 (the input gradient then has padding 0)
        new[] { 2, 300, 6, 6, 20, 1 },    // inner dimension past one KC block
        new[] { 4, 17, 30, 30, 19, 1 },   // several tile blocks, blocks spanning images
        new[] { 1, 16, 3, 3, 16, 1 },     // one tile block of one image: output rows split over threads
    };

    [RequiresTheory(Requirement.Avx2)]
    [MemberData(nameof(Shapes))]
    public void Winograd_EveryMicroKernel_MatchesSlowReference(int[] s)
    {
        var g = new Conv2dGeometry(s[0], s[1], s[2], s[3], s[4], 3, 3, 1, 1, s[5], s[5], 1, 1, 1);
        Assert.True(Conv2dPacked.WinogradApplies(g));
        var rng = new Random(7);
        Tensor x = Tensor.RandomNormal(rng, g.Batch, g.Channels, g.Height, g.Width);
        Tensor w = Tensor.RandomNormal(rng, g.OutChannels, g.Channels, 3, 3);
        Tensor b = Tensor.RandomNormal(rng, g.OutChannels), scale = Tensor.RandomNormal(rng, g.OutChannels), shift = Tensor.RandomNormal(rng, g.OutChannels);
        Tensor dy = Tensor.RandomNormal(rng, g.Batch, g.OutChannels, g.OutH, g.OutW);
        Tensor residual = Tensor.RandomNormal(rng, g.Batch, g.OutChannels, g.OutH, g.OutW);
        Tensor dx0 = Tensor.RandomNormal(rng, g.Batch, g.Channels, g.Height, g.Width);
        (Tensor yRef, Tensor dxRef, _, _) = Conv2dKernelsTests.Reference(x, w, b, dy, g);

        // The fused epilogue on the reference output, step by step: relu((y · scale + shift) + residual).
        float[] fusedRef = yRef.ToArray();
        int ohw = g.OutH * g.OutW;
        for (int i = 0; i < fusedRef.Length; i++)
        {
            int o = i / ohw % g.OutChannels;
            fusedRef[i] = Math.Max(0f, fusedRef[i] * scale.Data[o] + shift.Data[o] + residual.Data[i]);
        }
        float[] dxExpected = dx0.ToArray();
        for (int i = 0; i < dxExpected.Length; i++) dxExpected[i] += dxRef.Data[i];

        ManagedGemm.KernelKind saved = ManagedGemm.Kernel;
        try
        {
            foreach (ManagedGemm.KernelKind kind in new[] { ManagedGemm.KernelKind.Avx512, ManagedGemm.KernelKind.Avx2 }.Where(ManagedGemm.IsSupported))
            {
                ManagedGemm.Kernel = kind;
                var y = new float[yRef.Length];
                y.AsSpan().Fill(float.NaN); // every output must be written
                Conv2dPacked.WinogradForward(x.Data, w.Data, b.Data, y, g, default, default, default, relu: false);
                TensorAssert.Close(yRef.Data, y, 1e-4f, 1e-4f, $"{kind} y");

                var fused = new float[yRef.Length];
                Conv2dPacked.WinogradForward(x.Data, w.Data, b.Data, fused, g, scale.Data, shift.Data, residual.Data, relu: true);
                TensorAssert.Close(fusedRef, fused, 1e-4f, 1e-4f, $"{kind} fused epilogue");

                float[] dx = dx0.ToArray();
                Conv2dPacked.WinogradBackwardInput(dy.Data, w.Data, dx, g);
                TensorAssert.Close(dxExpected, dx, TensorAssert.GradAtol, TensorAssert.GradRtol, $"{kind} dx");
            }
        }
        finally
        {
            ManagedGemm.Kernel = saved;
        }
    }

    [RequiresFact(Requirement.Avx2)]
    public void Winograd_ThroughTheOp_GivesTheSameGradientsAsPackedGemm()
    {
        var rng = new Random(5);
        Tensor x = Tensor.RandomNormal(rng, 2, 16, 12, 11), w = Tensor.RandomNormal(rng, 24, 16, 3, 3), b = Tensor.RandomNormal(rng, 24);
        Tensor dy = Tensor.RandomNormal(rng, 2, 24, 12, 11);
        var options = new Conv2dOptions { Padding = (1, 1) };
        Assert.True(Conv2dPacked.WinogradApplies(new Conv2dGeometry(2, 16, 12, 11, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1)));

        float[][] Run(Conv2dAlgorithm algorithm)
        {
            using var tape = new Tape();
            Tensor xs = tape.Watch(x.Clone()), ws = tape.Watch(w.Clone()), bs = tape.Watch(b.Clone());
            Tensor y = Tensors.Ops.Conv2d(xs, ws, bs, options, algorithm);
            GradStore grads = tape.Backward(y, dy);
            return [y.ToArray(), grads[xs]!.ToArray(), grads[ws]!.ToArray(), grads[bs]!.ToArray()];
        }

        float[][] packed = Run(Conv2dAlgorithm.PackedGemm), winograd = Run(Conv2dAlgorithm.Winograd);
        TensorAssert.Close(packed[0], winograd[0], 1e-4f, 1e-4f, "y");
        for (int i = 1; i < 4; i++) TensorAssert.Close(packed[i], winograd[i], TensorAssert.GradAtol, TensorAssert.GradRtol, $"gradient {i}");
    }

    [RequiresFact(Requirement.Avx2)]
    public void Winograd_Select_TakesLargeStrideOne3x3ConvsOnly()
    {
        Assert.True(Conv2dPacked.WinogradApplies(new Conv2dGeometry(16, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        Assert.Equal(Conv2dAlgorithm.Winograd, Tensors.Ops.Conv2dSelect(new Conv2dGeometry(16, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        Assert.Equal(Conv2dAlgorithm.PackedGemm, Tensors.Ops.Conv2dSelect(new Conv2dGeometry(16, 64, 56, 56, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1)));
        Assert.Equal(Conv2dAlgorithm.Winograd, Tensors.Ops.Conv2dSelect(new Conv2dGeometry(16, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        Assert.Equal(Conv2dAlgorithm.PackedGemm, Tensors.Ops.Conv2dSelect(new Conv2dGeometry(16, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        Assert.Equal(Conv2dAlgorithm.PackedGemm, Tensors.Ops.Conv2dSelect(new Conv2dGeometry(16, 8, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        // The choice depends on the image, not the batch: one image of a large map takes the same path as sixteen.
        Assert.Equal(Conv2dAlgorithm.Winograd, Tensors.Ops.Conv2dSelect(new Conv2dGeometry(1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        Assert.Equal(Conv2dAlgorithm.PackedGemm, Tensors.Ops.Conv2dSelect(new Conv2dGeometry(16, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 2, 2, 1)));
    }

    [Fact]
    public void Winograd_OneImageAloneOrInABatch_GivesBitIdenticalOutputs()
    {
        // Shards of a collection run different batch sizes; each image's output must not depend on its batch.
        var rng = new Random(9);
        Tensor x = Tensor.RandomNormal(rng, 5, 16, 30, 30), w = Tensor.RandomNormal(rng, 16, 16, 3, 3);
        Tensor batch = Tensors.Ops.Conv2d(x, w, null, stride: 1, padding: 1);
        Tensor third = Tensors.Ops.Conv2d(Tensor.FromArray(x.Data.Slice(2 * 16 * 900, 16 * 900).ToArray(), 1, 16, 30, 30), w, null, stride: 1, padding: 1);
        Assert.Equal(Tensors.Ops.Conv2dSelect(new Conv2dGeometry(1, 16, 30, 30, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1)),
            Tensors.Ops.Conv2dSelect(new Conv2dGeometry(5, 16, 30, 30, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        Assert.Equal(batch.Data.Slice(2 * 16 * 900, 16 * 900).ToArray(), third.ToArray());
    }
}
