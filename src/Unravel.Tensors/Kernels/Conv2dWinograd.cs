// Winograd F(2×2, 3×3) convolution for 3×3 stride-1 undilated ungrouped convs (most of a ResNet's multiply-adds):
// each 2×2 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over its 4×4 input patch d, so the 36 multiply-adds per tile and
// channel pair become 16, done as 16 GEMMs M_ξ[O, tiles] = U_ξ[O, C] · V_ξ[C, tiles] (ξ = the 16 transform points) on
// the packed micro-kernels of Conv2dPacked. Tiles of the whole batch are cut into blocks small enough for their V and
// M to stay in L2; per block the input transform is written straight into packed B panels, the 16 GEMMs run, and the
// output transform applies the fused epilogue (bias, batch-norm affine, residual, ReLU) as it stores each output row.
// The input gradient of such a conv is the "full" convolution of dy with the flipped, transposed weights, padded by
// 2 − padding, so it runs through the same code with the residual operand accumulating into dx.
// Each output is one fixed sequence of operations whatever the thread count, so results are deterministic; they differ
// from the direct sum by rounding only (the transforms use 0, ±1 and ½, exact in binary).
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], Aᵀ = [1 1 1 0; 0 1 −1 −1].
// Reference: Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016.

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unravel.Tensors.Kernels;

internal static unsafe partial class Conv2dPacked
{
    /// <summary>Fewest output tiles (of 2×2) per image for which the Winograd path is selected. Per image, not per call: the
    /// choice (and so the rounding) must not depend on the batch size, or a collection split into shards would differ
    /// from one run. Measured (1 thread, CPU time, min of 5, vs the packed path): ResNet-18 layer1–4 3×3 convs at batch
    /// 16 (784, 196, 49, 16 tiles per image) forward ×1.27, ×1.61, ×1.36, ×0.76, input gradient ×1.55, ×1.47, ×1.59,
    /// ×0.90; at batch 1 layer1 ×1.02, layer2 ×0.83, because the weight transform then took most of the time. Since the
    /// transform writes packed tiles directly (2.4× faster) and frozen weights keep it (FrozenWeights), re-measured
    /// (1 thread, best of 3 × 200 ms, Winograd vs packed ms): 256 channels at 14×14 (49 tiles), batch 1 frozen 1.81 vs 2.94,
    /// not frozen 2.31 vs 2.58, batch 16 frozen 22.8 vs 44.8; 512 channels at 7×7 (16 tiles), batch 1 frozen 3.45 vs
    /// 2.93, not frozen 9.8 vs 4.7. So 49: every ResNet 3×3 stride-1 layer but the 7×7 stage.</summary>
    internal static int WinogradMinTiles { get; set; } = 49;

    /// <summary>True when <see cref="WinogradForward"/> can compute <paramref name="g"/> (and <see cref="WinogradBackwardInput"/>
    /// its input gradient): 3×3, stride 1, no dilation, one group, padding ≤ 2, an AVX2 or AVX-512 micro-kernel.</summary>
    public static bool WinogradApplies(in Conv2dGeometry g) =>
        g.KernelH == 3 && g.KernelW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && g.Groups == 1 && g.PadH <= 2 && g.PadW <= 2 && g.OutH > 0 && g.OutW > 0 && g.Channels > 0 && g.OutChannels > 0
        && Avx2.IsSupported && ManagedGemm.Kernel is ManagedGemm.KernelKind.Avx512 or ManagedGemm.KernelKind.Avx2;

    /// <summary>True when the Winograd path is also expected to be faster: enough tiles per image and channels (measured rule).</summary>
    public static bool WinogradPays(in Conv2dGeometry g) =>
        WinogradApplies(g) && g.Channels >= 16 && g.OutChannels >= 16
        && (long)((g.OutH + 1) / 2) * ((g.OutW + 1) / 2) >= WinogradMinTiles;

    /// <summary>y = act((W ⊛ x + bias) · scale + shift + residual) by Winograd F(2×2, 3×3); operands as in
    /// <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, in Conv2dGeometry, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, bool, Tensor)"/>.</summary>
    /// <param name="weightKey">The weight's tensor, whose transformed panels are cached while it is frozen (<see cref="FrozenWeights"/>).</param>
    public static void WinogradForward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, in Conv2dGeometry g,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> residual, bool relu, Tensor? weightKey = null)
    {
        fixed (float* px = x, pw = weight, pb = bias, py = y, psc = scale, psh = shift, pr = residual)
            Winograd(px, pw, weightKey, flip: false, py, g, new Conv2dEpilogue.Pointers(pb, psc, psh, pr, relu));
    }

    /// <summary>dx += col2im(Wᵀ · dy) for a conv that <see cref="WinogradApplies"/> to, as the full convolution of dy with
    /// the flipped, transposed weights.</summary>
    /// <param name="weightKey">The weight's tensor, whose transformed panels are cached while it is frozen (<see cref="FrozenWeights"/>).</param>
    public static void WinogradBackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> weight, Span<float> dx, in Conv2dGeometry g, Tensor? weightKey = null)
    {
        var full = new Conv2dGeometry(g.Batch, g.OutChannels, g.OutH, g.OutW, g.Channels, 3, 3, 1, 1, 2 - g.PadH, 2 - g.PadW, 1, 1, 1);
        fixed (float* pdy = dy, pw = weight, pdx = dx)
            Winograd(pdy, pw, weightKey, flip: true, pdx, full, new Conv2dEpilogue.Pointers(null, null, null, pdx, false));
    }

    private static void Winograd(float* x, float* w, Tensor? weightKey, bool flip, float* y, in Conv2dGeometry g, in Conv2dEpilogue.Pointers e)
    {
        switch (ManagedGemm.Kernel)
        {
            case ManagedGemm.KernelKind.Avx512 when Use8Rows(g.OutChannels): Winograd<Conv2dAvx512x8>(x, w, weightKey, flip, y, g, e); break;
            case ManagedGemm.KernelKind.Avx512: Winograd<GemmMicroKernels.Avx512>(x, w, weightKey, flip, y, g, e); break;
            default: Winograd<GemmMicroKernels.Avx2>(x, w, weightKey, flip, y, g, e); break;
        }
    }

    /// <summary>Extra floats between the 16 V and M planes: plane sizes are often multiples of 4 KiB, and the output
    /// transform reads all 16 planes at once, which would map its 16 streams to one L1 set.</summary>
    private const int Skew = 16;

    /// <summary>Floats of V (16·C·T) or M (16·O·T) per tile block.</summary>
    internal static int WinogradBlockFloats { get; set; } = 262144;

    /// <summary>Tiles per block: V and M of at most <see cref="WinogradBlockFloats"/> each, a multiple of NR, at most 256.</summary>
    private static int WinogradBlock(int c, int o, int nr) => Math.Clamp(WinogradBlockFloats / (16 * Math.Max(c, o)) / nr * nr, nr, 256);

    private static void Winograd<TK>(float* x, float* w, Tensor? weightKey, bool flip, float* y, Conv2dGeometry g, Conv2dEpilogue.Pointers e)
        where TK : struct, IGemmMicroKernel
    {
        int mr = TK.MR, nr = TK.NR;
        GemmBlocking blk = GemmBlocking.For<TK>();
        int c = g.Channels, o = g.OutChannels, oPad = RoundUp(o, mr);
        int tilesW = (g.OutW + 1) / 2, perImage = (g.OutH + 1) / 2 * tilesW, tiles = g.Batch * perImage;
        int block = WinogradBlock(c, o, nr);
        long uLength = (long)oPad * c;
        float* cached = weightKey is null ? null
            : FrozenWeights.Cached(weightKey, (typeof(TK), "winograd", flip, blk.KC), 16 * uLength, dst => WinogradWeights<TK>(w, flip, o, c, dst, uLength, blk.KC));
        float[] packedArray = cached is null ? ArrayPool<float>.Shared.Rent((int)(16 * uLength + 16)) : [];
        try
        {
            fixed (float* packed0 = packedArray)
            {
                float* packed = cached is null ? Align(packed0) : cached;
                if (cached is null) WinogradWeights<TK>(w, flip, o, c, packed, uLength, blk.KC);

                // Tile blocks dealt to the threads in equal shares (WorkPlan), or cut by output rows when too few.
                WorkPlan plan = WorkPlan.For(tiles, nr, block, oPad / mr);
                Conv2dGeometry geo = g;
                Parallelism.For(plan.Items, 1, (w0, w1) =>
                {
                    int vLength = 16 * (c * block + Skew), mLength = 16 * (oPad * block + Skew) + 16;
                    int edgeLength = 16 * (block + 16) + 8 * (tilesW + 24) + 2 * (2 * block + 32);
                    Workspace ws = Workspace.ForThread(mLength, vLength, edgeLength);
                    for (int item = w0; item < w1; item++)
                    for (int b = plan.FirstBlock(item); b < plan.EndBlock(item); b++)
                    {
                        (int r0, int r1) = plan.Rows(item);
                        int t0 = plan.Bounds[b], count = plan.Bounds[b + 1] - t0, padded = RoundUp(count, nr);
                        TransformInput<TK>(x, geo, t0, count, padded, blk.KC, ws.B, ws.Edge);
                        for (int xi = 0; xi < 16; xi++)
                        {
                            float* u = packed + xi * uLength, v = ws.B + (nint)xi * (c * padded + Skew), m = ws.A + (nint)xi * (oPad * padded + Skew);
                            for (int pc = 0; pc < c; pc += blk.KC)
                                Multiply<TK>(u + (nint)pc * oPad, v + (nint)pc * padded, m, Math.Min(blk.KC, c - pc), r0 * mr, r1 * mr, count,
                                    pc == 0 ? 0f : 1f, blk.MC);
                        }
                        TransformOutput(ws.A, padded, oPad, y, geo, e, t0, count, r0 * mr, Math.Min(o, r1 * mr), ws.Edge);
                    }
                });
            }
        }
        finally
        {
            if (cached is null) ArrayPool<float>.Shared.Return(packedArray);
        }
    }

    /// <summary>The 16 transformed weight matrices U[ξ] = (G g Gᵀ)[ξ] packed as the GEMM's A operand, ξ at ξ·<paramref name="uLength"/>,
    /// each as <see cref="GemmPacking.PackA{TK}"/> lays out an [o, c] matrix: KC blocks over c, MR-row panels, zero rows past o.
    /// For the input gradient (<paramref name="flip"/>) g = W[j, i] rotated by 180°.</summary>
    /// <remarks>One (panel, KC block) tile at a time, transformed into 16 skewed tile buffers and then copied out whole.
    /// Writing each kernel's 16 values straight into 16 matrices o·c floats apart (often a multiple of 4 KiB) put every
    /// store in one L1 set; that transform, the copy of its result and PackA took 2/3 of a batch-1 convolution.</remarks>
    private static void WinogradWeights<TK>(float* w, bool flip, int o, int c, float* packed, long uLength, int kcMax)
        where TK : struct, IGemmMicroKernel
    {
        int mr = TK.MR, oPad = RoundUp(o, mr), panels = oPad / mr, kBlocks = (c + kcMax - 1) / kcMax;
        int tileLd = mr * kcMax + 16;
        Parallelism.For(panels * kBlocks, 1, (t0, t1) =>
        {
            float[] tileArray = ArrayPool<float>.Shared.Rent(16 * tileLd);
            try
            {
                fixed (float* tile = tileArray)
                    for (int t = t0; t < t1; t++)
                    {
                        int panel = t / kBlocks, pc = t % kBlocks * kcMax, kc = Math.Min(kcMax, c - pc);
                        // Column by column: each ξ's tile is then written front to back (16 streams), and each of
                        // the MR weight rows is read front to back.
                        for (int j = 0; j < kc; j++)
                            for (int r = 0; r < mr; r++)
                            {
                                int i = panel * mr + r;
                                float* dst = tile + (nint)j * mr + r;
                                if (i < o)
                                    TransformKernel(flip ? w + ((nint)(pc + j) * o + i) * 9 : w + ((nint)i * c + pc + j) * 9, flip, dst, tileLd);
                                else
                                    for (int xi = 0; xi < 16; xi++) dst[xi * tileLd] = 0f;
                            }
                        for (int xi = 0; xi < 16; xi++)
                            new ReadOnlySpan<float>(tile + (nint)xi * tileLd, mr * kc)
                                .CopyTo(new Span<float>(packed + xi * uLength + (nint)pc * oPad + (nint)panel * mr * kc, mr * kc));
                    }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(tileArray);
            }
        });
    }

    /// <summary>dst[ξ·stride] = (G g Gᵀ)[ξ] for one 3×3 kernel g = k (flipped: g[r, col] = k[8 − 3r − col]).</summary>
    private static void TransformKernel(float* k, bool flip, float* dst, nint stride)
    {
        // G g, one column of g at a time: rows t0 = g0, t1 = (g0 + g1 + g2) / 2, t2 = (g0 − g1 + g2) / 2, t3 = g2.
        float a0 = flip ? k[8] : k[0], a1 = flip ? k[5] : k[3], a2 = flip ? k[2] : k[6];
        float b0 = flip ? k[7] : k[1], b1 = k[4], b2 = flip ? k[1] : k[7];
        float d0 = flip ? k[6] : k[2], d1 = flip ? k[3] : k[5], d2 = flip ? k[0] : k[8];
        Row(a0, b0, d0, dst, stride);
        Row(0.5f * (a0 + a1 + a2), 0.5f * (b0 + b1 + b2), 0.5f * (d0 + d1 + d2), dst + 4 * stride, stride);
        Row(0.5f * (a0 - a1 + a2), 0.5f * (b0 - b1 + b2), 0.5f * (d0 - d1 + d2), dst + 8 * stride, stride);
        Row(a2, b2, d2, dst + 12 * stride, stride);

        // (G g) Gᵀ for one row (a, b, d) of G g.
        static void Row(float a, float b, float d, float* dst, nint stride)
        {
            dst[0] = a;
            dst[stride] = 0.5f * (a + b + d);
            dst[2 * stride] = 0.5f * (a - b + d);
            dst[3 * stride] = d;
        }
    }

    /// <summary>Writes V_ξ[ch, t] = (Bᵀ d B)[ξ] for tiles [t0, t0 + count) into packed B panels: ξ at ξ·C·padded, then
    /// KC blocks of [padded/NR][kc][NR] as <see cref="Multiply{TK}"/> reads them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInput<TK>(float* x, in Conv2dGeometry g, int t0, int count, int padded, int kcMax, float* v, float* scratch)
        where TK : struct, IGemmMicroKernel
    {
        int nr = TK.NR, c = g.Channels, h = g.Height, wd = g.Width, hw = h * wd;
        int tilesW = (g.OutW + 1) / 2, perImage = (g.OutH + 1) / 2 * tilesW, stride = padded + 16, half = tilesW + 24;
        float* tmp = scratch, eo = scratch + 16 * stride;
        for (int ch = 0; ch < c; ch++)
        {
            for (int t = t0, at = 0; t < t0 + count;)
            {
                int n = t / perImage, local = t - n * perImage, th = local / tilesW, tw0 = local - th * tilesW;
                int run = Math.Min(tilesW - tw0, t0 + count - t);
                float* plane = x + ((nint)n * c + ch) * hw;
                // Even and odd input columns of the four input rows of this tile row: tile k reads E[k], O[k], E[k+1], O[k+1].
                int vecEnd = (run + 7) & ~7;
                for (int r = 0; r < 4; r++)
                {
                    float* ev = eo + 2 * r * half, od = ev + half;
                    int ih = 2 * th - g.PadH + r;
                    if ((uint)ih >= (uint)h)
                    {
                        new Span<float>(ev, vecEnd + 1).Clear();
                        new Span<float>(od, vecEnd + 1).Clear();
                        continue;
                    }
                    float* src = plane + (nint)ih * wd;
                    int k0 = 0, first = 2 * tw0 - g.PadW;
                    if (first >= 0)
                        // Interior: 16 consecutive inputs split into 8 even and 8 odd columns per step.
                        for (; k0 + 8 <= vecEnd + 1 && first + 2 * k0 + 16 <= wd; k0 += 8)
                        {
                            Vector256<float> lo = Vector256.Load(src + first + 2 * k0), hi = Vector256.Load(src + first + 2 * k0 + 8);
                            Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle().Store(ev + k0);
                            Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle().Store(od + k0);
                        }
                    for (int k = k0; k <= vecEnd; k++)
                    {
                        int iw = 2 * (tw0 + k) - g.PadW;
                        ev[k] = (uint)iw < (uint)wd ? src[iw] : 0f;
                        od[k] = (uint)(iw + 1) < (uint)wd ? src[iw + 1] : 0f;
                    }
                }
                for (int k = 0; k < run; k += 8)
                {
                    float* p0 = eo + k, p1 = p0 + 2 * half, p2 = p1 + 2 * half, p3 = p2 + 2 * half;
                    // Rows of Bᵀ d: a_r = combination of input rows, four columns each (E[k], O[k], E[k+1], O[k+1]).
                    Vector256<float> a00 = Row(p0, p2, 0, half, out Vector256<float> a01, out Vector256<float> a02, out Vector256<float> a03, sub: true);
                    Vector256<float> a10 = Row(p1, p2, 0, half, out Vector256<float> a11, out Vector256<float> a12, out Vector256<float> a13, sub: false);
                    Vector256<float> a20 = Row(p2, p1, 0, half, out Vector256<float> a21, out Vector256<float> a22, out Vector256<float> a23, sub: true);
                    Vector256<float> a30 = Row(p1, p3, 0, half, out Vector256<float> a31, out Vector256<float> a32, out Vector256<float> a33, sub: true);
                    float* d = tmp + at + k;
                    Columns(d, stride, 0, a00, a01, a02, a03);
                    Columns(d, stride, 4, a10, a11, a12, a13);
                    Columns(d, stride, 8, a20, a21, a22, a23);
                    Columns(d, stride, 12, a30, a31, a32, a33);
                }
                at += run;
                t += run;
            }
            int pc = ch / kcMax * kcMax, kc = Math.Min(kcMax, c - pc);
            for (int xi = 0; xi < 16; xi++)
                ScatterRow(tmp + xi * stride, v + (nint)xi * (c * padded + Skew) + (nint)pc * padded + (nint)(ch - pc) * nr, padded, nr, kc);
        }
    }

    /// <summary>The four columns (E[k], O[k], E[k+1], O[k+1]) of row a = p ∓ q (sub: p − q, else p + q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row(float* p, float* q, int k, int half, out Vector256<float> a1, out Vector256<float> a2,
        out Vector256<float> a3, bool sub)
    {
        Vector256<float> p0 = Vector256.Load(p + k), p1 = Vector256.Load(p + half + k), p2 = Vector256.Load(p + k + 1), p3 = Vector256.Load(p + half + k + 1);
        Vector256<float> q0 = Vector256.Load(q + k), q1 = Vector256.Load(q + half + k), q2 = Vector256.Load(q + k + 1), q3 = Vector256.Load(q + half + k + 1);
        if (sub)
        {
            a1 = p1 - q1;
            a2 = p2 - q2;
            a3 = p3 - q3;
            return p0 - q0;
        }
        a1 = p1 + q1;
        a2 = p2 + q2;
        a3 = p3 + q3;
        return p0 + q0;
    }

    /// <summary>Row r of Bᵀ d B from row r of Bᵀ d: (a0 − a2, a1 + a2, a2 − a1, a1 − a3) into ξ = first .. first + 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(float* d, int stride, int first, Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3)
    {
        (a0 - a2).Store(d + first * stride);
        (a1 + a2).Store(d + (first + 1) * stride);
        (a2 - a1).Store(d + (first + 2) * stride);
        (a1 - a3).Store(d + (first + 3) * stride);
    }

    /// <summary>y rows of output channels [o0, o1) for tiles [t0, t0 + count): Aᵀ m A from M_ξ[o, t] (ξ planes oPad·padded
    /// apart), each output row then stored through the epilogue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformOutput(float* mAll, int padded, int oPad, float* y, in Conv2dGeometry g, in Conv2dEpilogue.Pointers e,
        int t0, int count, int o0, int o1, float* scratch)
    {
        int oh = g.OutH, ow = g.OutW, tilesW = (ow + 1) / 2, perImage = (oh + 1) / 2 * tilesW;
        nint plane = (nint)oPad * padded + Skew;
        float* row0 = scratch, row1 = scratch + 2 * padded + 32;
        for (int oc = o0; oc < o1; oc++)
        {
            float* m = mAll + (nint)oc * padded;
            for (int t = t0, at = 0; t < t0 + count;)
            {
                int n = t / perImage, local = t - n * perImage, th = local / tilesW, tw0 = local - th * tilesW;
                int run = Math.Min(tilesW - tw0, t0 + count - t);
                for (int k = 0; k < run; k += 8)
                {
                    float* s = m + at + k;
                    // Aᵀ m: rows b0 = m0 + m1 + m2, b1 = m1 − m2 − m3 (four columns each); then the same over columns.
                    Vector256<float> m0 = Vector256.Load(s), m1 = Vector256.Load(s + plane), m2 = Vector256.Load(s + 2 * plane), m3 = Vector256.Load(s + 3 * plane);
                    Vector256<float> m4 = Vector256.Load(s + 4 * plane), m5 = Vector256.Load(s + 5 * plane), m6 = Vector256.Load(s + 6 * plane), m7 = Vector256.Load(s + 7 * plane);
                    Vector256<float> b00 = m0 + m4, b01 = m1 + m5, b02 = m2 + m6, b03 = m3 + m7;
                    Vector256<float> b10 = m4, b11 = m5, b12 = m6, b13 = m7;
                    m0 = Vector256.Load(s + 8 * plane); m1 = Vector256.Load(s + 9 * plane); m2 = Vector256.Load(s + 10 * plane); m3 = Vector256.Load(s + 11 * plane);
                    b00 += m0; b01 += m1; b02 += m2; b03 += m3;
                    b10 -= m0; b11 -= m1; b12 -= m2; b13 -= m3;
                    m0 = Vector256.Load(s + 12 * plane); m1 = Vector256.Load(s + 13 * plane); m2 = Vector256.Load(s + 14 * plane); m3 = Vector256.Load(s + 15 * plane);
                    b10 -= m0; b11 -= m1; b12 -= m2; b13 -= m3;
                    Interleave(b00 + b01 + b02, b01 - b02 - b03, row0 + 2 * k);
                    Interleave(b10 + b11 + b12, b11 - b12 - b13, row1 + 2 * k);
                }
                int r = 2 * th, col = 2 * tw0, len = Math.Min(2 * run, ow - col);
                nint offset = (((nint)n * g.OutChannels + oc) * oh + r) * ow + col;
                Conv2dEpilogue.Apply(row0, y + offset, e, oc, offset, len);
                if (r + 1 < oh) Conv2dEpilogue.Apply(row1, y + offset + ow, e, oc, offset + ow, len);
                at += run;
                t += run;
            }
        }
    }

    /// <summary>dst[2j] = a[j], dst[2j + 1] = b[j] for j &lt; 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(Vector256<float> a, Vector256<float> b, float* dst)
    {
        Vector256<float> lo = Avx.UnpackLow(a, b), hi = Avx.UnpackHigh(a, b);
        Avx.Permute2x128(lo, hi, 0x20).Store(dst);
        Avx.Permute2x128(lo, hi, 0x31).Store(dst + 8);
    }
}
