// The conv kernels against a slow seven-loop reference written here (llm.c style), and the three conv paths of
// Ops.Conv2d against each other on shapes where all apply.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Kernels;

public sealed class Conv2dKernelsTests
{
    // N, C, H, W, O, KH, KW, stride (h, w), pad (h, w), dilation (h, w), groups
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1 },
        new[] { 2, 3, 7, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
        new[] { 1, 2, 9, 11, 3, 2, 4, 2, 3, 1, 2, 1, 1, 1 },
        new[] { 2, 4, 8, 8, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2 },
        new[] { 3, 6, 10, 9, 6, 3, 3, 2, 2, 1, 1, 1, 1, 6 },
        new[] { 2, 3, 6, 7, 9, 5, 3, 1, 2, 2, 0, 1, 2, 3 },
        new[] { 2, 5, 4, 6, 7, 1, 1, 1, 1, 0, 0, 1, 1, 1 },
        new[] { 1, 4, 3, 3, 2, 3, 3, 3, 3, 2, 2, 1, 1, 1 },
        new[] { 2, 16, 13, 17, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16 },
        // Wide rows: the direct kernel's four-vector blocks, single vectors and scalar tails (stride 1, dilated, strided).
        new[] { 1, 3, 5, 45, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3 },
        new[] { 1, 2, 7, 50, 4, 3, 5, 1, 1, 2, 3, 2, 2, 2 },
        new[] { 1, 2, 6, 61, 2, 3, 3, 2, 2, 1, 1, 1, 1, 2 },
        new[] { 1, 2, 4, 40, 2, 1, 7, 1, 3, 0, 3, 1, 1, 1 },
        // More than 4096 output positions per image: the blocked path cuts each image into column blocks.
        new[] { 2, 3, 70, 70, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
        new[] { 1, 2, 66, 66, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1 },
        new[] { 2, 2, 140, 131, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1 },
        new[] { 1, 4, 70, 70, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2 },
        // Degenerate channel counts: no input channels (the product is zero), no output channels.
        new[] { 2, 0, 5, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
        new[] { 2, 3, 5, 6, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Im2ColBlock_EqualsTheColumnsOfIm2Col(int[] d)
    {
        Conv2dGeometry g = Geometry(d);
        Tensor x = Tensor.RandomNormal(new Random(4), g.GroupChannels, g.Height, g.Width);
        var full = new float[g.ColRows * g.ColCols];
        Conv2dKernels.Im2Col(x.Data, full, g);
        int ohw = g.ColCols;
        foreach ((int start, int count) in new[] { (0, ohw), (0, 1), (ohw - 1, 1), (ohw / 3, ohw / 2), (g.OutW / 2, Math.Min(ohw - g.OutW / 2, g.OutW + 1)) })
        {
            int ld = count + 3;
            var block = new float[Math.Max(1, g.ColRows * ld)];
            block.AsSpan().Fill(float.NaN); // every entry of the block must be written, padding included
            Conv2dKernels.Im2ColBlock(x.Data, block, g, start, count, ld);
            for (int r = 0; r < g.ColRows; r++)
                for (int p = 0; p < count; p++)
                    Assert.Equal(full[r * ohw + start + p], block[r * ld + p]);
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Col2ImBlock_IsTheAdjointOfIm2ColBlock(int[] d)
    {
        Conv2dGeometry g = Geometry(d);
        var rng = new Random(5);
        int start = g.ColCols / 4, count = Math.Max(1, g.ColCols / 2), ld = count + 1;
        Tensor x = Tensor.RandomNormal(rng, g.GroupChannels, g.Height, g.Width);
        Tensor r = Tensor.RandomNormal(rng, g.ColRows * ld);
        var col = new float[r.Length];
        Conv2dKernels.Im2ColBlock(x.Data, col, g, start, count, ld);
        var back = new float[x.Length];
        Conv2dKernels.Col2ImBlock(r.Data, back, g, start, count, ld);
        double lhs = 0, rhs = 0;
        for (int row = 0; row < g.ColRows; row++)
            for (int p = 0; p < count; p++) lhs += (double)col[row * ld + p] * r.Data[row * ld + p];
        for (int i = 0; i < back.Length; i++) rhs += (double)back[i] * x.Data[i];
        Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * Math.Max(1, Math.Abs(lhs)), $"<im2col x, r> = {lhs}, <x, col2im r> = {rhs}");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Im2Col_MatchesGatherReference(int[] d)
    {
        Conv2dGeometry g = Geometry(d);
        var rng = new Random(1);
        Tensor x = Tensor.RandomNormal(rng, g.GroupChannels, g.Height, g.Width);
        var col = new float[g.ColRows * g.ColCols];
        col.AsSpan().Fill(float.NaN); // every entry must be written, padding included
        Conv2dKernels.Im2Col(x.Data, col, g);
        int row = 0;
        for (int c = 0; c < g.GroupChannels; c++)
            for (int kh = 0; kh < g.KernelH; kh++)
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                    for (int i = 0; i < g.OutH; i++)
                        for (int j = 0; j < g.OutW; j++)
                        {
                            int ih = i * g.StrideH - g.PadH + kh * g.DilationH, iw = j * g.StrideW - g.PadW + kw * g.DilationW;
                            float expected = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width ? x[c, ih, iw] : 0f;
                            Assert.Equal(expected, col[row * g.ColCols + i * g.OutW + j]);
                        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Col2Im_IsTheAdjointOfIm2Col(int[] d)
    {
        // <im2col(x), r> = <x, col2im(r)> for any x, r.
        Conv2dGeometry g = Geometry(d);
        var rng = new Random(2);
        Tensor x = Tensor.RandomNormal(rng, g.GroupChannels, g.Height, g.Width);
        Tensor r = Tensor.RandomNormal(rng, g.ColRows, g.ColCols);
        var col = new float[r.Length];
        Conv2dKernels.Im2Col(x.Data, col, g);
        var back = new float[x.Length];
        Conv2dKernels.Col2Im(r.Data, back, g);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < col.Length; i++) lhs += (double)col[i] * r.Data[i];
        for (int i = 0; i < back.Length; i++) rhs += (double)back[i] * x.Data[i];
        Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * Math.Max(1, Math.Abs(lhs)), $"<im2col x, r> = {lhs}, <x, col2im r> = {rhs}");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void EveryAlgorithm_MatchesSlowReference_ForwardAndBackward(int[] d)
    {
        Conv2dGeometry g = Geometry(d);
        var rng = new Random(3);
        Tensor x = Tensor.RandomNormal(rng, g.Batch, g.Channels, g.Height, g.Width);
        Tensor w = Tensor.RandomNormal(rng, g.OutChannels, g.GroupChannels, g.KernelH, g.KernelW);
        Tensor b = Tensor.RandomNormal(rng, g.OutChannels);
        Tensor dy = Tensor.RandomNormal(rng, g.Batch, g.OutChannels, g.OutH, g.OutW);
        (Tensor yRef, Tensor dxRef, Tensor dwRef, Tensor dbRef) = Reference(x, w, b, dy, g);
        var options = new Conv2dOptions
        {
            Stride = (g.StrideH, g.StrideW), Padding = (g.PadH, g.PadW), Dilation = (g.DilationH, g.DilationW), Groups = g.Groups,
        };

        var algorithms = new List<Conv2dAlgorithm> { Conv2dAlgorithm.Im2ColGemm, Conv2dAlgorithm.Blocked, Conv2dAlgorithm.PackedGemm, Conv2dAlgorithm.Direct, Conv2dAlgorithm.Auto };
        if (g.IsPointwise) algorithms.Add(Conv2dAlgorithm.Pointwise);
        foreach (Conv2dAlgorithm algorithm in algorithms)
        {
            using var tape = new Tape();
            Tensor xs = tape.Watch(x.Clone()), ws = tape.Watch(w.Clone()), bs = tape.Watch(b.Clone());
            Tensor y = Tensors.Ops.Conv2d(xs, ws, bs, options, algorithm);
            GradStore grads = tape.Backward(y, dy);
            TensorAssert.ForwardClose(yRef, y, $"{algorithm} y");
            TensorAssert.GradClose(dxRef, grads[xs]!, $"{algorithm} dx");
            TensorAssert.GradClose(dwRef, grads[ws]!, $"{algorithm} dWeight");
            TensorAssert.GradClose(dbRef, grads[bs]!, $"{algorithm} dBias");
        }
    }

    [Fact]
    public void Pointwise_OnNonPointwiseKernel_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Tensors.Ops.Conv2d(Tensor.Zeros(1, 2, 4, 4), Tensor.Zeros(3, 2, 3, 3), null, Conv2dOptions.Default, Conv2dAlgorithm.Pointwise));
        Assert.Contains("[3, 2, 3, 3]", e.Message);
    }

    [Theory]
    [InlineData(5, 1, 3, 0)]
    [InlineData(5, 2, 3, 1)]
    [InlineData(4, 3, 2, -5)]
    [InlineData(3, 1, 4, 2)]
    public void ValidRange_MatchesBruteForce(int outLen, int stride, int inLen, int offset)
    {
        (int lo, int hi) = Conv2dKernels.ValidRange(outLen, stride, offset, inLen);
        int[] valid = Enumerable.Range(0, outLen).Where(o => o * stride + offset >= 0 && o * stride + offset < inLen).ToArray();
        Assert.Equal(valid.Length, hi - lo);
        if (valid.Length > 0) Assert.Equal(valid[0], lo);
    }

    /// <summary>The definition, in double, one loop per index.</summary>
    internal static (Tensor Y, Tensor Dx, Tensor DWeight, Tensor DBias) Reference(Tensor x, Tensor w, Tensor b, Tensor dy, Conv2dGeometry g)
    {
        var y = new double[g.Batch * g.OutChannels * g.OutH * g.OutW];
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        var db = new double[b.Length];
        int cg = g.GroupChannels, og = g.GroupOutChannels;
        for (int n = 0; n < g.Batch; n++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int i = 0; i < g.OutH; i++)
                    for (int j = 0; j < g.OutW; j++)
                    {
                        int yi = ((n * g.OutChannels + o) * g.OutH + i) * g.OutW + j;
                        double acc = b.Data[o];
                        float gy = dy.Data[yi];
                        db[o] += gy;
                        for (int ci = 0; ci < cg; ci++)
                            for (int kh = 0; kh < g.KernelH; kh++)
                                for (int kw = 0; kw < g.KernelW; kw++)
                                {
                                    int ih = i * g.StrideH - g.PadH + kh * g.DilationH, iw = j * g.StrideW - g.PadW + kw * g.DilationW;
                                    if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
                                    int c = o / og * cg + ci;
                                    int xi = ((n * g.Channels + c) * g.Height + ih) * g.Width + iw;
                                    int wi = ((o * cg + ci) * g.KernelH + kh) * g.KernelW + kw;
                                    acc += (double)w.Data[wi] * x.Data[xi];
                                    dx[xi] += (double)w.Data[wi] * gy;
                                    dw[wi] += (double)x.Data[xi] * gy;
                                }
                        y[yi] = acc;
                    }
        static Tensor T(double[] v, ReadOnlySpan<int> shape) => Tensor.FromArray(v.Select(e => (float)e).ToArray(), shape.ToArray());
        return (T(y, [g.Batch, g.OutChannels, g.OutH, g.OutW]), T(dx, x.Shape), T(dw, w.Shape), T(db, b.Shape));
    }

    internal static Conv2dGeometry Geometry(int[] d) =>
        new(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13]);
}

/// <summary>The packed-GEMM conv path on every micro-kernel this CPU runs (it drives them itself), against the slow
/// reference. In the GEMM tests' collection: they switch the process-wide kernel too, so these must not run alongside.</summary>
[Collection(nameof(GemmTests))]
public sealed class Conv2dPackedKernelTests
{
    [Theory]
    [MemberData(nameof(Conv2dKernelsTests.Geometries), MemberType = typeof(Conv2dKernelsTests))]
    public void PackedGemm_EveryMicroKernel_MatchesSlowReference(int[] d)
    {
        Conv2dGeometry g = Conv2dKernelsTests.Geometry(d);
        var rng = new Random(3);
        Tensor x = Tensor.RandomNormal(rng, g.Batch, g.Channels, g.Height, g.Width);
        Tensor w = Tensor.RandomNormal(rng, g.OutChannels, g.GroupChannels, g.KernelH, g.KernelW);
        Tensor b = Tensor.RandomNormal(rng, g.OutChannels);
        Tensor dy = Tensor.RandomNormal(rng, g.Batch, g.OutChannels, g.OutH, g.OutW);
        (Tensor yRef, Tensor dxRef, _, _) = Conv2dKernelsTests.Reference(x, w, b, dy, g);
        ManagedGemm.KernelKind saved = ManagedGemm.Kernel;
        try
        {
            foreach (ManagedGemm.KernelKind kind in Enum.GetValues<ManagedGemm.KernelKind>().Where(ManagedGemm.IsSupported))
            {
                ManagedGemm.Kernel = kind;
                var y = new float[yRef.Length];
                y.AsSpan().Fill(float.NaN); // every output must be written
                Conv2dPacked.Forward(x.Data, w.Data, b.Data, y, g);
                TensorAssert.ForwardClose(yRef, Tensor.FromArray(y, yRef.Shape.ToArray()), $"{kind} y");
                var dx = new float[x.Length];
                Conv2dPacked.BackwardInput(dy.Data, w.Data, dx, g);
                TensorAssert.GradClose(dxRef, Tensor.FromArray(dx, x.Shape.ToArray()), $"{kind} dx");
            }
        }
        finally
        {
            ManagedGemm.Kernel = saved;
        }
    }
}
