// The blocked im2col + GEMM path of Ops.Conv2d (Conv2dAlgorithm.Blocked), the default for every convolution that is
// not depthwise. The output positions of the whole batch are cut into column blocks sized so that a block's im2col
// matrix stays small (cache resident) while its GEMM stays wide:
//   large images (OH·OW above the block width): each image is cut into several column blocks, and each block's GEMM
//     writes straight into y through the leading dimension OH·OW;
//   small images (ResNet's 14×14 and 7×7 stages): several whole images share one block, so their GEMM is
//     [O, C·KH·KW] × [C·KH·KW, k·OH·OW] instead of k thin ones, and the result is scattered to y.
// Blocks run in parallel, each GEMM on one thread; a single block leaves the threads to the GEMM. Every output element
// is one GEMM dot product over the full C·KH·KW, so the result does not depend on how blocks are spread over threads.
// The input gradient uses the same plan (dx = col2im(Wᵀ · dy) per block); blocks of one image run in order because
// their col2im writes overlap, so the parallelism there is over images.
// Reference: Chellapilla et al. 2006 (im2col + GEMM); the blocking follows Goto & van de Geijn's rule of sizing packed
// operands to the cache (TOMS 2008).

using System.Buffers;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Floats of im2col one block of a split image may hold: half of L2 (KernelPlan).</summary>
    private static readonly int Conv2dSplitBudget = KernelPlan.Current.ConvSplitBudget;

    /// <summary>Floats of im2col a block of whole images may hold; larger than <see cref="Conv2dSplitBudget"/> because a
    /// wide GEMM matters more there than a cache-resident block (the GEMM packs its B operand from it in order).</summary>
    private const int Conv2dGroupBudget = 1 << 21;

    /// <summary>Widest block of whole images, in output positions.</summary>
    private const int Conv2dGroupMaxWidth = 1024;

    /// <summary>Block widths are rounded to this (the AVX-512 GEMM tile width), so few columns go to padded edge tiles.</summary>
    private const int Conv2dColumnQuantum = 32;

    /// <summary>How the batch's output positions are cut into blocks.</summary>
    /// <param name="ImagesPerBlock">Whole images per block (1 when images are split).</param>
    /// <param name="Chunk">Output positions per block of a split image (0 when whole images are grouped).</param>
    /// <param name="BlocksPerImage">Column blocks per image (1 when images are grouped).</param>
    /// <param name="Blocks">Number of blocks.</param>
    private readonly record struct Conv2dBlockPlan(int ImagesPerBlock, int Chunk, int BlocksPerImage, int Blocks)
    {
        /// <summary>Images [N0, N1) and, within each, output positions [C0, C1) of block <paramref name="b"/>.</summary>
        public (int N0, int N1, int C0, int C1) Block(int b, int batch, int ohw)
        {
            if (Chunk > 0)
            {
                int n = b / BlocksPerImage, c0 = b % BlocksPerImage * Chunk;
                return (n, n + 1, c0, Math.Min(ohw, c0 + Chunk));
            }
            int n0 = b * ImagesPerBlock;
            return (n0, Math.Min(batch, n0 + ImagesPerBlock), 0, ohw);
        }

        /// <summary>The widest block in columns.</summary>
        public int MaxColumns(int ohw) => Chunk > 0 ? Chunk : ImagesPerBlock * ohw;
    }

    /// <summary>The block plan for <paramref name="g"/> at the current thread count.</summary>
    private static Conv2dBlockPlan Conv2dPlanBlocks(in Conv2dGeometry g)
    {
        int threads = Parallelism.IsNested ? 1 : Parallelism.Threads;
        int ohw = g.ColCols, n = g.Batch, k = Math.Max(1, g.ColRows);
        if (ohw <= Conv2dGroupMaxWidth && (long)k * ohw <= Conv2dGroupBudget)
        {
            // Whole images: as many per block as the width and budget allow, keeping one block per thread at least.
            int images = Math.Max(1, Math.Min(Conv2dGroupMaxWidth / ohw, Conv2dGroupBudget / (k * ohw)));
            if (n >= threads) images = Math.Min(images, n / threads);
            images = Math.Clamp(images, 1, n);
            return new Conv2dBlockPlan(images, 0, 1, (n + images - 1) / images);
        }
        // Split images into chunks of a cache-sized im2col block, a multiple of the GEMM tile width.
        int target = Math.Max(4 * Conv2dColumnQuantum, Conv2dSplitBudget / k / Conv2dColumnQuantum * Conv2dColumnQuantum);
        int perImage = (ohw + target - 1) / target;
        // Few blocks in all (a batch of one or two): make their count a multiple of the threads so none idles.
        if (n * perImage < 8 * threads && n * perImage % threads != 0)
            perImage = ((n * perImage + threads - 1) / threads * threads + n - 1) / n;
        int chunk = ((ohw + perImage - 1) / perImage + Conv2dColumnQuantum - 1) / Conv2dColumnQuantum * Conv2dColumnQuantum;
        perImage = (ohw + chunk - 1) / chunk;
        return new Conv2dBlockPlan(1, chunk, perImage, n * perImage);
    }

    /// <summary>y += W · im2col(x) block by block (y holds the bias or zeros; with <paramref name="overwrite"/> its
    /// contents are ignored and replaced).</summary>
    private static void Conv2dBlockedForward(Tensor x, Tensor weight, Tensor y, Conv2dGeometry g, bool overwrite)
    {
        Conv2dBlockPlan plan = Conv2dPlanBlocks(g);
        int groups = g.Groups, cg = g.GroupChannels, og = g.GroupOutChannels, k = g.ColRows, ohw = g.ColCols;
        int hw = g.Height * g.Width, batch = g.Batch, maxCols = plan.MaxColumns(ohw);
        float beta = overwrite ? 0f : 1f;
        Parallelism.For(plan.Blocks, 1, (b0, b1) =>
        {
            bool needCol = !g.IsPointwise || plan.ImagesPerBlock > 1;
            float[]? col = needCol ? ArrayPool<float>.Shared.Rent(k * maxCols) : null;
            float[]? tmp = plan.ImagesPerBlock > 1 ? ArrayPool<float>.Shared.Rent(og * maxCols) : null;
            try
            {
                ReadOnlySpan<float> xd = x.Data, wd = weight.Data;
                Span<float> yd = y.Data;
                for (int b = b0; b < b1; b++)
                {
                    (int n0, int n1, int c0, int c1) = plan.Block(b, batch, ohw);
                    int images = n1 - n0, cols = c1 - c0, width = images * cols;
                    for (int grp = 0; grp < groups; grp++)
                    {
                        ReadOnlySpan<float> wg = wd.Slice(grp * og * k, og * k);
                        if (images == 1)
                        {
                            ReadOnlySpan<float> xs = xd.Slice((n0 * g.Channels + grp * cg) * hw, cg * hw);
                            Span<float> ys = yd[((n0 * g.OutChannels + grp * og) * ohw + c0)..];
                            if (g.IsPointwise)
                            {
                                Gemm.Sgemm(wg, xs[c0..], ys, og, cols, k, beta: beta, ldb: hw, ldc: ohw);
                            }
                            else
                            {
                                Conv2dKernels.Im2ColBlock(xs, col, g, c0, cols, cols);
                                Gemm.Sgemm(wg, col, ys, og, cols, k, beta: beta, ldc: ohw);
                            }
                            continue;
                        }
                        for (int i = 0; i < images; i++)
                            Conv2dKernels.Im2ColBlock(xd.Slice(((n0 + i) * g.Channels + grp * cg) * hw, cg * hw), col.AsSpan(i * cols), g, 0, cols, width);
                        Gemm.Sgemm(wg, col, tmp, og, width, k);
                        for (int i = 0; i < images; i++)
                            for (int o = 0; o < og; o++)
                            {
                                ReadOnlySpan<float> src = tmp.AsSpan(o * width + i * cols, cols);
                                Span<float> dst = yd.Slice(((n0 + i) * g.OutChannels + grp * og + o) * ohw, ohw);
                                if (overwrite) src.CopyTo(dst);
                                else System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
                            }
                    }
                }
            }
            finally
            {
                if (col is not null) ArrayPool<float>.Shared.Return(col);
                if (tmp is not null) ArrayPool<float>.Shared.Return(tmp);
            }
        });
    }

    /// <summary>dx += col2im(Wᵀ · dy), block by block with the forward's plan.</summary>
    private static void Conv2dBlockedBackwardInput(Tensor weight, Tensor dy, Tensor dx, Conv2dGeometry g)
    {
        Conv2dBlockPlan plan = Conv2dPlanBlocks(g);
        int groups = g.Groups, cg = g.GroupChannels, og = g.GroupOutChannels, k = g.ColRows, ohw = g.ColCols;
        int hw = g.Height * g.Width, batch = g.Batch, maxCols = plan.MaxColumns(ohw);
        // Blocks of one image overlap in dx, so split images between threads and walk an image's blocks in order.
        int units = plan.Chunk > 0 ? batch : plan.Blocks;
        Parallelism.For(units, 1, (u0, u1) =>
        {
            float[] col = ArrayPool<float>.Shared.Rent(k * maxCols);
            float[]? tmp = plan.ImagesPerBlock > 1 ? ArrayPool<float>.Shared.Rent(og * maxCols) : null;
            try
            {
                ReadOnlySpan<float> wd = weight.Data, dyd = dy.Data;
                Span<float> dxd = dx.Data;
                int bStart = plan.Chunk > 0 ? u0 * plan.BlocksPerImage : u0;
                int bEnd = plan.Chunk > 0 ? u1 * plan.BlocksPerImage : u1;
                for (int b = bStart; b < bEnd; b++)
                {
                    (int n0, int n1, int c0, int c1) = plan.Block(b, batch, ohw);
                    int images = n1 - n0, cols = c1 - c0, width = images * cols;
                    for (int grp = 0; grp < groups; grp++)
                    {
                        ReadOnlySpan<float> wg = wd.Slice(grp * og * k, og * k);
                        if (images == 1)
                        {
                            ReadOnlySpan<float> dys = dyd[((n0 * g.OutChannels + grp * og) * ohw + c0)..];
                            Span<float> dxs = dxd.Slice((n0 * g.Channels + grp * cg) * hw, cg * hw);
                            if (g.IsPointwise)
                            {
                                Gemm.Sgemm(wg, dys, dxs[c0..], k, cols, og, transA: true, beta: 1f, ldb: ohw, ldc: hw);
                            }
                            else
                            {
                                Gemm.Sgemm(wg, dys, col, k, cols, og, transA: true, ldb: ohw, ldc: cols);
                                Conv2dKernels.Col2ImBlock(col, dxs, g, c0, cols, cols);
                            }
                            continue;
                        }
                        for (int i = 0; i < images; i++)
                            for (int o = 0; o < og; o++)
                                dyd.Slice(((n0 + i) * g.OutChannels + grp * og + o) * ohw, ohw).CopyTo(tmp.AsSpan(o * width + i * cols, cols));
                        Gemm.Sgemm(wg, tmp, col, k, width, og, transA: true);
                        for (int i = 0; i < images; i++)
                            Conv2dKernels.Col2ImBlock(col.AsSpan(i * cols), dxd.Slice(((n0 + i) * g.Channels + grp * cg) * hw, cg * hw), g, 0, cols, width);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(col);
                if (tmp is not null) ArrayPool<float>.Shared.Return(tmp);
            }
        });
    }
}
