// 2-D convolution over NCHW images, matching torch.nn.functional.conv2d (cross-correlation, groups, dilation).
// Dimension letters: N batch, C input channels, H, W input size, O output channels, KH, KW kernel, OH, OW output.
//   y[n, o] = bias[o] + Σ_{c ∈ group(o), kh, kw} weight[o, c, kh, kw] · x[n, c, oh·s − p + kh·d, ow·s − p + kw·d]
// Backward: dx = col2im(Wᵀ · dy), dWeight = Σ_n dy · im2col(x)ᵀ, dBias = Σ_{n,oh,ow} dy.
//
// Algorithm selection (Conv2dSelect) is a fixed rule on the shape, so a given shape always takes the same path and
// gives bit-identical results. Measured with the shapes of bench/Unravel.Benchmarks/ConvBenchmarks.cs, 1 thread,
// thread CPU time (the 2-core host was heavily shared), median of 7 interleaved rounds, with the packed managed
// Sgemm of the GEMM work (h/gemm 0938b41); ratio = time / im2col time:
//
//                                                     forward                      forward + backward
//   shape           N, C→O, size, kernel, stride      im2col   direct  pointwise    direct  pointwise
//   resnet_stem_7x7_s2_224   1, 3→64, 224², 7, s2     10.8 ms   ×9.6
//   resnet_conv3x3_56        2, 64→64, 56², 3         13.1 ms   ×8.3                 ×6.5
//   resnet_conv3x3_s2_56     2, 128→128, 56², 3, s2   10.9 ms   ×31.5
//   resnet_conv3x3_14        2, 256→256, 14², 3        7.6 ms   ×21.7
//   resnet_conv1x1_56        2, 256→64, 56², 1         5.3 ms   ×10.5   ×0.88        ×6.6    ×0.87
//   resnet_conv1x1_s2_56     2, 256→512, 56², 1, s2    8.2 ms   ×74
//   resnext_conv3x3_g32_28   2, 256→256, 28², 3, g32   4.2 ms   ×3.5                 ×2.7
//   group_conv3x3_g64_28     2, 128→128, 28², 3, g64   1.6 ms   ×1.29                ×1.18
//   mobilenet_dw3x3_112      2, 32, 112², 3, dw        3.9 ms   ×0.58                ×0.40
//   mobilenet_dw3x3_s2_112   2, 96, 112², 3, s2, dw    8.2 ms   ×0.79                ×0.96
//   mobilenet_dw3x3_14       2, 576, 14², 3, dw        3.5 ms   ×0.78                ×0.72
//   small_conv3x3_c4_32      2, 4→4, 32², 3            0.09 ms  ×2.1                 ×2.1
//   odd_conv3x3_29x31        3, 17→19, 29×31, 3        0.61 ms  ×7.3                 ×6.1
// (blank: not measured; "dw" = depthwise, groups = C). With the naive placeholder Sgemm the im2col path is several
// times slower, so re-measure when the GEMM changes; the rule assumes the packed one.
//
// Rule: depthwise (one input channel per group) → Direct; 3×3 stride-1 undilated ungrouped convs with ≥ 16 channels each
// way and ≥ 49 output tiles of 2×2 per image (never a rule on the batch size: shards must round alike) → Winograd F(2×2, 3×3) on the managed GEMM (Kernels/Conv2dWinograd.cs,
// forward and input gradient; ResNet-18 3×3 layers at batch 16 ×1.3–1.6 over PackedGemm, see WinogradMinTiles);
// everything else → PackedGemm on the managed GEMM (im2col
// packed straight into the micro-kernel's panels over column blocks of the whole batch, Kernels/Conv2dPacked.cs), or
// Blocked (im2col blocks + Sgemm) when OpenBLAS is the GEMM backend. Even two channels per group (g64 above) already
// favour the GEMM. Packed vs the per-image im2col path, ResNet convs at batch 16, 1 thread, thread CPU time, min of 7
// (bench/Unravel.Benchmarks/ResNetConvBenchmarks.cs; loaded host, ±10 %):
//   resnet18_l1_conv3x3 83 → 52 ms, l2 51 → 40 ms, l3 47 → 39 ms, l4 74 → 40 ms, resnet50_l4_conv1x1_2048→512 30 → 17 ms;
// a plain GEMM of the same size (no im2col at all) takes 43, 37, 38, 35 and 17 ms. Im2ColGemm, Pointwise and Blocked
// stay selectable (tests compare every path with a slow reference).

using System.Buffers;
using System.Numerics.Tensors;
using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>2-D convolution (cross-correlation) of an NCHW batch, as torch.nn.functional.conv2d.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="weight">[O, C/groups, KH, KW].</param>
    /// <param name="bias">[O], or null for none.</param>
    /// <param name="options">Stride, padding, dilation and groups; <see cref="Conv2dOptions.Default"/> when null.</param>
    /// <returns>[N, O, OH, OW] with OH = ⌊(H + 2·padH − dilationH·(KH − 1) − 1) / strideH⌋ + 1 (OW alike).</returns>
    /// <remarks>Effectively computes y[n, o, i, j] = bias[o] + Σ_{c,kh,kw} weight[o, c, kh, kw] ·
    /// x[n, g·C/groups + c, i·sH − pH + kh·dH, j·sW − pW + kw·dW] with zeros outside the input, g = o / (O/groups).</remarks>
    /// <exception cref="ArgumentException">Ranks, channel counts, bias length or options do not fit; the message names both shapes.</exception>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions? options = null) =>
        Conv2d(x, weight, bias, options ?? Conv2dOptions.Default, Conv2dAlgorithm.Auto);

    /// <summary>2-D convolution with square stride, padding and dilation.</summary>
    /// <inheritdoc cref="Conv2d(Tensor, Tensor, Tensor?, Conv2dOptions?)"/>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int stride, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(x, weight, bias, new Conv2dOptions
        {
            Stride = (stride, stride), Padding = (padding, padding), Dilation = (dilation, dilation), Groups = groups,
        }, Conv2dAlgorithm.Auto);

    /// <summary>Convolution by a chosen algorithm (tests compare the paths; <see cref="Conv2dAlgorithm.Auto"/> selects).</summary>
    internal static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions options, Conv2dAlgorithm algorithm)
    {
        using KernelTimer timer = KernelTimer.Begin("conv", x, weight);
        Conv2dGeometry g = Conv2dShape(x, weight, bias, options);
        Conv2dAlgorithm alg = algorithm == Conv2dAlgorithm.Auto ? Conv2dSelect(g) : algorithm;
        if (alg == Conv2dAlgorithm.Pointwise && !g.IsPointwise)
            throw new ArgumentException($"conv2d: the pointwise path needs a 1×1 stride-1 unpadded kernel, got weight {weight.ShapeString}.", nameof(algorithm));
        if (alg == Conv2dAlgorithm.Winograd && !Conv2dPacked.WinogradApplies(g))
            throw new ArgumentException($"conv2d: the Winograd path needs a 3×3 stride-1 undilated ungrouped kernel with padding ≤ 2 and AVX2, got weight {weight.ShapeString}.", nameof(algorithm));

        Tensor y;
        if (alg == Conv2dAlgorithm.PackedGemm)
        {
            y = TensorStorage.Uninitialized(g.Batch, g.OutChannels, g.OutH, g.OutW);
            Conv2dPacked.Forward(x.Data, weight.Data, bias is null ? default : bias.Data, y.Data, g, weight);
        }
        else if (alg == Conv2dAlgorithm.Winograd)
        {
            y = TensorStorage.Uninitialized(g.Batch, g.OutChannels, g.OutH, g.OutW);
            Conv2dPacked.WinogradForward(x.Data, weight.Data, bias is null ? default : bias.Data, y.Data, g, default, default, default, relu: false, weight);
        }
        else
        {
            // The blocked path writes every element, so without a bias it needs no zeroed output.
            bool overwrite = alg == Conv2dAlgorithm.Blocked && bias is null;
            y = overwrite ? TensorStorage.Uninitialized(g.Batch, g.OutChannels, g.OutH, g.OutW) : Tensor.Zeros(g.Batch, g.OutChannels, g.OutH, g.OutW);
            if (bias is not null) Conv2dFillBias(y, bias, g);
            if (alg == Conv2dAlgorithm.Direct) Conv2dDirectForward(x, weight, y, g);
            else if (alg == Conv2dAlgorithm.Blocked) Conv2dBlockedForward(x, weight, y, g, overwrite);
            else Conv2dGemmForward(x, weight, y, g, alg == Conv2dAlgorithm.Pointwise);
        }

        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        Tape.Of([x, weight, bias])?.Record("conv2d", y, inputs, Conv2dBackward, new Conv2dState(g, alg));
        return y;
    }

    /// <summary>The measured selection rule (see the table in the file header).</summary>
    internal static Conv2dAlgorithm Conv2dSelect(in Conv2dGeometry g)
    {
        if (g.IsDepthwise) return Conv2dAlgorithm.Direct;
        if (Gemm.Backend == GemmBackend.Managed && Conv2dPacked.WinogradPays(g)) return Conv2dAlgorithm.Winograd;
        // The packed path drives the managed micro-kernels itself; with OpenBLAS selected, GEMM calls go to it.
        return Gemm.Backend == GemmBackend.Managed ? Conv2dAlgorithm.PackedGemm : Conv2dAlgorithm.Blocked;
    }

    private sealed record Conv2dState(Conv2dGeometry Geometry, Conv2dAlgorithm Algorithm);

    private static void Conv2dBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0], weight = node.Inputs[1];
        Tensor? bias = node.Inputs.Count > 2 ? node.Inputs[2] : null;
        var state = (Conv2dState)node.State!;
        Conv2dGeometry g = state.Geometry;

        if (bias is not null && grads.Wants(bias)) Conv2dBiasBackward(dy, grads.For(bias), g);
        Tensor? dx = grads.Wants(x) ? grads.For(x) : null;
        Tensor? dWeight = grads.Wants(weight) ? grads.For(weight) : null;
        if (dx is null && dWeight is null) return;
        if (state.Algorithm == Conv2dAlgorithm.Direct)
        {
            Conv2dDirectBackward(x, weight, dy, dx, dWeight, g);
        }
        else if (state.Algorithm is Conv2dAlgorithm.Blocked or Conv2dAlgorithm.PackedGemm or Conv2dAlgorithm.Winograd)
        {
            if (dx is not null && state.Algorithm == Conv2dAlgorithm.Winograd) Conv2dPacked.WinogradBackwardInput(dy.Data, weight.Data, dx.Data, g, weight);
            else if (dx is not null && state.Algorithm == Conv2dAlgorithm.PackedGemm) Conv2dPacked.BackwardInput(dy.Data, weight.Data, dx.Data, g, weight);
            else if (dx is not null) Conv2dBlockedBackwardInput(weight, dy, dx, g);
            if (dWeight is not null) Conv2dGemmBackward(x, weight, dy, null, dWeight, g, g.IsPointwise);
        }
        else
        {
            Conv2dGemmBackward(x, weight, dy, dx, dWeight, g, state.Algorithm == Conv2dAlgorithm.Pointwise);
        }
    }

    /// <summary>Shape rule: validates the operands and returns the geometry.</summary>
    private static Conv2dGeometry Conv2dShape(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions o)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"conv2d: input must be [N, C, H, W], got {x.ShapeString} (weight {weight.ShapeString}).", nameof(x));
        if (weight.Rank != 4)
            throw new ArgumentException($"conv2d: weight must be [O, C/groups, KH, KW], got {weight.ShapeString} (input {x.ShapeString}).", nameof(weight));
        if (o.Stride.H < 1 || o.Stride.W < 1 || o.Dilation.H < 1 || o.Dilation.W < 1 || o.Padding.H < 0 || o.Padding.W < 0 || o.Groups < 1)
            throw new ArgumentException(
                $"conv2d: invalid options stride {o.Stride}, padding {o.Padding}, dilation {o.Dilation}, groups {o.Groups} " +
                $"(stride and dilation ≥ 1, padding ≥ 0, groups ≥ 1) for input {x.ShapeString} and weight {weight.ShapeString}.", nameof(o));
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        int oc = weight.Dim(0), kh = weight.Dim(2), kw = weight.Dim(3);
        if (c % o.Groups != 0 || oc % o.Groups != 0)
            throw new ArgumentException(
                $"conv2d: input {x.ShapeString} has {c} channels and weight {weight.ShapeString} has {oc} outputs; both must be divisible by groups {o.Groups}.", nameof(weight));
        if (weight.Dim(1) * o.Groups != c)
            throw new ArgumentException(
                $"conv2d: input {x.ShapeString} has {c} channels but weight {weight.ShapeString} expects {weight.Dim(1) * o.Groups} (groups {o.Groups}).", nameof(weight));
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != oc))
            throw new ArgumentException($"conv2d: bias {bias.ShapeString} must be [{oc}] for weight {weight.ShapeString}.", nameof(bias));
        var g = new Conv2dGeometry(n, c, h, w, oc, kh, kw, o.Stride.H, o.Stride.W, o.Padding.H, o.Padding.W, o.Dilation.H, o.Dilation.W, o.Groups);
        if (kh < 1 || kw < 1 || h + 2 * g.PadH < g.DilationH * (kh - 1) + 1 || w + 2 * g.PadW < g.DilationW * (kw - 1) + 1)
            throw new ArgumentException(
                $"conv2d: kernel {kh}×{kw} with dilation {o.Dilation} does not fit input {x.ShapeString} padded by {o.Padding} (weight {weight.ShapeString}).", nameof(weight));
        return g;
    }

    private static void Conv2dFillBias(Tensor y, Tensor bias, Conv2dGeometry g)
    {
        Span<float> yd = y.Data;
        ReadOnlySpan<float> b = bias.Data;
        int ohw = g.OutH * g.OutW;
        for (int n = 0; n < g.Batch; n++)
            for (int o = 0; o < g.OutChannels; o++)
                yd.Slice((n * g.OutChannels + o) * ohw, ohw).Fill(b[o]);
    }

    /// <summary>y += W · im2col(x) per (image, group); one pooled im2col buffer per parallel chunk.</summary>
    private static void Conv2dGemmForward(Tensor x, Tensor weight, Tensor y, Conv2dGeometry g, bool pointwise)
    {
        int groups = g.Groups, cg = g.GroupChannels, og = g.GroupOutChannels, k = g.ColRows, ohw = g.ColCols;
        int hw = g.Height * g.Width;
        Parallelism.For(g.Batch * groups, 1, (start, end) =>
        {
            float[]? col = pointwise ? null : ArrayPool<float>.Shared.Rent(k * ohw);
            try
            {
                for (int item = start; item < end; item++)
                {
                    int n = item / groups, grp = item % groups;
                    ReadOnlySpan<float> xs = x.Data.Slice((n * g.Channels + grp * cg) * hw, cg * hw);
                    if (col is not null) Conv2dKernels.Im2Col(xs, col, g);
                    ReadOnlySpan<float> b = col is null ? xs : col.AsSpan(0, k * ohw);
                    Gemm.Sgemm(weight.Data.Slice(grp * og * k, og * k), b, y.Data.Slice((n * g.OutChannels + grp * og) * ohw, og * ohw),
                        og, ohw, k, beta: 1f);
                }
            }
            finally
            {
                if (col is not null) ArrayPool<float>.Shared.Return(col);
            }
        });
    }

    /// <summary>dx += col2im(Wᵀ · dy) and dWeight += Σ_n dy · im2col(x)ᵀ. The weight gradient is summed per parallel chunk
    /// into its own pooled partial, and the partials are added in chunk order, so the result depends only on the
    /// thread count.</summary>
    private static void Conv2dGemmBackward(Tensor x, Tensor weight, Tensor dy, Tensor? dx, Tensor? dWeight, Conv2dGeometry g, bool pointwise)
    {
        int groups = g.Groups, cg = g.GroupChannels, og = g.GroupOutChannels, k = g.ColRows, ohw = g.ColCols;
        int hw = g.Height * g.Width, items = g.Batch * groups, wSize = weight.Length;
        int chunks = Math.Clamp(items, 1, Parallelism.Threads);
        float[]? partials = dWeight is null ? null : ArrayPool<float>.Shared.Rent(chunks * wSize);
        try
        {
            partials?.AsSpan(0, chunks * wSize).Clear();
            Parallelism.For(chunks, 1, (c0, c1) =>
            {
                float[]? col = pointwise ? null : ArrayPool<float>.Shared.Rent(k * ohw);
                try
                {
                    for (int chunk = c0; chunk < c1; chunk++)
                    {
                        (int start, int end) = Parallelism.ChunkRange(items, chunks, chunk);
                        for (int item = start; item < end; item++)
                        {
                            int n = item / groups, grp = item % groups;
                            ReadOnlySpan<float> dyg = dy.Data.Slice((n * g.OutChannels + grp * og) * ohw, og * ohw);
                            int xOffset = (n * g.Channels + grp * cg) * hw;
                            if (partials is not null)
                            {
                                ReadOnlySpan<float> xs = x.Data.Slice(xOffset, cg * hw);
                                if (col is not null) Conv2dKernels.Im2Col(xs, col, g);
                                ReadOnlySpan<float> b = col is null ? xs : col.AsSpan(0, k * ohw);
                                Gemm.Sgemm(dyg, b, partials.AsSpan(chunk * wSize + grp * og * k, og * k), og, k, ohw, transB: true, beta: 1f);
                            }
                            if (dx is not null)
                            {
                                ReadOnlySpan<float> wg = weight.Data.Slice(grp * og * k, og * k);
                                Span<float> dxs = dx.Data.Slice(xOffset, cg * hw);
                                if (col is null)
                                {
                                    Gemm.Sgemm(wg, dyg, dxs, k, ohw, og, transA: true, beta: 1f);
                                }
                                else
                                {
                                    Gemm.Sgemm(wg, dyg, col.AsSpan(0, k * ohw), k, ohw, og, transA: true);
                                    Conv2dKernels.Col2Im(col.AsSpan(0, k * ohw), dxs, g);
                                }
                            }
                        }
                    }
                }
                finally
                {
                    if (col is not null) ArrayPool<float>.Shared.Return(col);
                }
            });
            if (dWeight is not null)
            {
                Span<float> dw = dWeight.Data;
                for (int chunk = 0; chunk < chunks; chunk++)
                    TensorPrimitives.Add(dw, partials.AsSpan(chunk * wSize, wSize), dw);
            }
        }
        finally
        {
            if (partials is not null) ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>Direct forward, parallel over (image, output channel) pairs.</summary>
    private static void Conv2dDirectForward(Tensor x, Tensor weight, Tensor y, Conv2dGeometry g)
    {
        int oc = g.OutChannels, xSize = g.Channels * g.Height * g.Width, ySize = oc * g.OutH * g.OutW;
        Parallelism.For(g.Batch * oc, 1, (start, end) =>
        {
            for (int item = start; item < end;)
            {
                int n = item / oc, o = item % oc, oEnd = Math.Min(oc, o + end - item);
                Conv2dKernels.Direct(x.Data.Slice(n * xSize, xSize), weight.Data, y.Data.Slice(n * ySize, ySize), g, o, oEnd);
                item += oEnd - o;
            }
        });
    }

    /// <summary>Direct backward: dx parallel over (image, input channel); dWeight parallel over output channels with the
    /// images summed in order inside each, so no cross-thread reduction is needed.</summary>
    private static void Conv2dDirectBackward(Tensor x, Tensor weight, Tensor dy, Tensor? dx, Tensor? dWeight, Conv2dGeometry g)
    {
        int c = g.Channels, xSize = c * g.Height * g.Width, ySize = g.OutChannels * g.OutH * g.OutW;
        if (dx is not null)
        {
            Parallelism.For(g.Batch * c, 1, (start, end) =>
            {
                for (int item = start; item < end;)
                {
                    int n = item / c, ci = item % c, cEnd = Math.Min(c, ci + end - item);
                    Conv2dKernels.DirectBackwardInput(dy.Data.Slice(n * ySize, ySize), weight.Data, dx.Data.Slice(n * xSize, xSize), g, ci, cEnd);
                    item += cEnd - ci;
                }
            });
        }
        if (dWeight is not null)
        {
            Parallelism.For(g.OutChannels, 1, (start, end) =>
            {
                for (int n = 0; n < g.Batch; n++)
                    Conv2dKernels.DirectBackwardWeight(dy.Data.Slice(n * ySize, ySize), x.Data.Slice(n * xSize, xSize), dWeight.Data, g, start, end);
            });
        }
    }

    /// <summary>dBias[o] += Σ_{n, oh, ow} dy[n, o, oh, ow], images summed in order.</summary>
    private static void Conv2dBiasBackward(Tensor dy, Tensor dBias, Conv2dGeometry g)
    {
        int ohw = g.OutH * g.OutW;
        Parallelism.For(g.OutChannels, 16, (start, end) =>
        {
            for (int o = start; o < end; o++)
            {
                float s = 0f;
                for (int n = 0; n < g.Batch; n++) s += TensorPrimitives.Sum(dy.Data.Slice((n * g.OutChannels + o) * ohw, ohw));
                dBias.Data[o] += s;
            }
        });
    }
}
