// Convolution as a GEMM whose B operand is packed straight from the image ("implicit im2col"): the GotoBLAS/BLIS loop
// nest of ManagedGemm, driving the same micro-kernels, but the packing step of B gathers the im2col values of a block
// of output positions directly into NR-wide micro-panels, so no im2col matrix is ever written and read back.
//   forward:         y[O, P] = W[O, K] · col[K, P]           (K = C/groups·KH·KW, P = output positions of the batch)
//   input gradient:  colGrad[K, P] = Wᵀ[K, O] · dy[O, P],  dx += col2im(colGrad)
// The weights are packed once per call into MR-row panels for every KC block (the A operand); the output positions
// of the whole batch are cut into blocks of NC (a multiple of NR; a block may span images, which is what keeps small
// 7×7 and 14×14 feature maps efficient); each block is computed into a scratch tile [M padded to MR, NC] and then copied
// (forward, adding the bias) or folded by col2im (backward) into the tensor. Tiles are always full (zero padding in the
// packed panels), so the micro-kernel needs no edge handling, and each output element is one micro-kernel sum over the
// KC blocks in order: the result is the same for any thread count.
// Packing B: for "same"-size stride-1 convs (IsShiftable) an im2col row of an image is its input plane shifted by one
// offset, and for stride-2 convs that halve an even input (IsPhaseable) one of its four phase planes shifted; both pack
// whole images with masked vector copies (ShiftMasks). Other convs pack one output row's run at a time (PackImage).
// Reference: Goto & van de Geijn, TOMS 2008; Van Zee & van de Geijn, "BLIS", TOMS 2015; for packing the convolution
// operand on the fly, Georganas et al. 2018 ("Anatomy of high-performance deep learning convolutions on SIMD
// architectures") and cuDNN's implicit GEMM.

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unravel.Tensors.Kernels;

/// <summary>Packed-GEMM convolution kernels on the managed micro-kernels (NCHW, any stride, padding, dilation, groups).</summary>
internal static unsafe partial class Conv2dPacked
{
    /// <summary>Output positions per block: a multiple of every micro-kernel's NR, with positions × KC (the packed B
    /// block) in a quarter of L2 (256 on a 1 MiB L2 with KC 256, KernelPlan), and the scratch tile [O, positions] small
    /// for wide layers.</summary>
    internal static int BlockPositions = KernelPlan.Current.ConvBlockPositions;

    /// <summary>y = W ⊛ x (+ bias) for one NCHW batch; y is overwritten.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="weight">[O, C/groups, KH, KW].</param>
    /// <param name="bias">[O], or empty.</param>
    /// <param name="y">[N, O, OH, OW].</param>
    /// <param name="g">The convolution's dimensions.</param>
    /// <param name="weightKey">The weight's tensor, whose packed panels are cached while it is frozen (<see cref="FrozenWeights"/>).</param>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, in Conv2dGeometry g,
        Tensor? weightKey = null) =>
        Forward(x, weight, bias, y, g, default, default, default, relu: false, weightKey);

    /// <summary>y = act((W ⊛ x + bias) · scale + shift + residual), the epilogue applied per output channel as each block
    /// is stored (<see cref="Conv2dEpilogue"/>); y is overwritten.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="weight">[O, C/groups, KH, KW].</param>
    /// <param name="bias">[O], or empty.</param>
    /// <param name="y">[N, O, OH, OW].</param>
    /// <param name="g">The convolution's dimensions.</param>
    /// <param name="scale">[O], or empty for none (then <paramref name="shift"/> must be empty too).</param>
    /// <param name="shift">[O], or empty.</param>
    /// <param name="residual">[N, O, OH, OW] added after the affine step, or empty.</param>
    /// <param name="relu">Apply max(·, 0) last.</param>
    /// <param name="weightKey">The weight's tensor, whose packed panels are cached while it is frozen (<see cref="FrozenWeights"/>).</param>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, in Conv2dGeometry g,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> residual, bool relu, Tensor? weightKey = null)
    {
        fixed (float* px = x, pw = weight, pb = bias, py = y, psc = scale, psh = shift, pr = residual)
        {
            var ptrs = new Pointers(px, pw, pb, py, weightKey);
            var epilogue = new Conv2dEpilogue.Pointers(pb, psc, psh, pr, relu);
            switch (ManagedGemm.Kernel)
            {
                case ManagedGemm.KernelKind.Avx512 when Use8Rows(g.GroupOutChannels): Forward<Conv2dAvx512x8>(ptrs, g, epilogue); break;
                case ManagedGemm.KernelKind.Avx512: Forward<GemmMicroKernels.Avx512>(ptrs, g, epilogue); break;
                case ManagedGemm.KernelKind.Avx2: Forward<GemmMicroKernels.Avx2>(ptrs, g, epilogue); break;
                default: Forward<GemmMicroKernels.Portable>(ptrs, g, epilogue); break;
            }
        }
    }

    /// <summary>dx += col2im(Wᵀ · dy) for one NCHW batch.</summary>
    /// <param name="dy">[N, O, OH, OW].</param>
    /// <param name="weight">[O, C/groups, KH, KW].</param>
    /// <param name="dx">[N, C, H, W]; accumulated into.</param>
    /// <param name="g">The convolution's dimensions.</param>
    /// <param name="weightKey">The weight's tensor, whose packed panels are cached while it is frozen (<see cref="FrozenWeights"/>).</param>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> weight, Span<float> dx, in Conv2dGeometry g, Tensor? weightKey = null)
    {
        fixed (float* pdy = dy, pw = weight, pdx = dx)
        {
            var ptrs = new Pointers(pdy, pw, null, pdx, weightKey);
            switch (ManagedGemm.Kernel)
            {
                case ManagedGemm.KernelKind.Avx512 when Use8Rows(g.ColRows): BackwardInput<Conv2dAvx512x8>(ptrs, g); break;
                case ManagedGemm.KernelKind.Avx512: BackwardInput<GemmMicroKernels.Avx512>(ptrs, g); break;
                case ManagedGemm.KernelKind.Avx2: BackwardInput<GemmMicroKernels.Avx2>(ptrs, g); break;
                default: BackwardInput<GemmMicroKernels.Portable>(ptrs, g); break;
            }
        }
    }

    /// <summary>Lets benchmarks compare the 8-row kernel with the 12-row one on the same shapes.</summary>
    internal static bool EightRowTiles { get; set; } = true;

    /// <summary>True when 12-row tiles would waste at least a tenth of their rows on <paramref name="rows"/> (the GEMM's M)
    /// and 8-row tiles waste fewer, e.g. 64 output channels (72 padded rows with the 12×32 kernel, 64 with the 8×32 one).
    /// Below that the 12-row kernel's better multiply-add to load ratio wins.</summary>
    internal static bool Use8Rows(int rows)
    {
        if (!EightRowTiles) return false;
        int pad12 = (rows + 11) / 12 * 12, pad8 = (rows + 7) / 8 * 8;
        return rows > 0 && pad8 < pad12 && (pad12 - rows) * 10 >= pad12;
    }

    /// <summary>The pinned operands: In is x (forward) or dy (backward), Out is y or dx; WeightKey is the weight's tensor
    /// (or null), the key of its cached packed form while it is frozen.</summary>
    private readonly struct Pointers(float* input, float* weight, float* bias, float* output, Tensor? weightKey)
    {
        public readonly float* In = input, Weight = weight, Bias = bias, Out = output;
        public readonly Tensor? WeightKey = weightKey;
    }

    private static void Forward<TK>(Pointers p, Conv2dGeometry g, Conv2dEpilogue.Pointers epilogue) where TK : struct, IGemmMicroKernel
    {
        int mr = TK.MR, nr = TK.NR;
        GemmBlocking blk = GemmBlocking.For<TK>();
        int k = g.ColRows, og = g.GroupOutChannels, ogPad = RoundUp(og, mr), ohw = g.ColCols;
        int positions = g.Batch * ohw;
        long packedLength = (long)ogPad * k;
        float* cached = CachedWeights<TK>(p, k, og, g.Groups, transposed: false, packedLength, blk.KC);
        float[] packedArray = cached is null ? ArrayPool<float>.Shared.Rent((int)(g.Groups * packedLength + 16)) : [];
        bool phased = IsPhaseable(g);
        float[] maskArray = IsShiftable(g) || phased ? ShiftMasks(g) : [];
        float[] phaseArray = phased ? ArrayPool<float>.Shared.Rent(g.Batch * g.Channels * g.Height * g.Width) : [];
        try
        {
            fixed (float* packed0 = packedArray, masks0 = maskArray, phases0 = phaseArray)
            {
                float* packed = cached is null ? Align(packed0) : cached, masks = maskArray.Length > 0 ? masks0 : null;
                float* source = p.In;
                if (phased)
                {
                    Deinterleave(p.In, phases0, g);
                    source = phases0;
                }
                // A operand: each group's [og, K] weights as MR-row panels, KC block by KC block (PackA's layout).
                if (cached is null) PackWeights<TK>(p.Weight, k, og, g.Groups, transposed: false, packed, packedLength, blk.KC);

                // Work items: position blocks dealt to the threads in equal shares, or single blocks cut into row
                // (output-channel) ranges when the blocks alone cannot occupy every thread (a batch of one at the 7×7 stage).
                WorkPlan plan = WorkPlan.For(positions, nr, BlockPositions, ogPad / mr);
                float* pk = packed;
                Parallelism.For(plan.Items, 1, (w0, w1) =>
                {
                    Workspace ws = Workspace.ForThread(ogPad * BlockPositions, blk.KC * BlockPositions, BlockPositions);
                    int[] segArray = ArrayPool<int>.Shared.Rent(4 * BlockPositions);
                    try
                    {
                        fixed (int* seg = segArray)
                        for (int item = w0; item < w1; item++)
                        for (int block = plan.FirstBlock(item); block < plan.EndBlock(item); block++)
                        {
                            (int r0, int r1) = plan.Rows(item);
                            int p0 = plan.Bounds[block], count = plan.Bounds[block + 1] - p0;
                            int runs = Segments(g, p0, count, seg);
                            // No input channels (K = 0): the product is all zeros and no k block runs to write it.
                            if (k == 0) new Span<float>(ws.A, ogPad * RoundUp(count, nr)).Clear();
                            for (int grp = 0; grp < g.Groups; grp++)
                            {
                                float* a = pk + grp * packedLength;
                                if (epilogue.Residual is not null && ohw > BlockPositions)
                                    Prefetch(p.Out, epilogue.Residual, g, grp, p0, count, r0 * mr, Math.Min(og, r1 * mr));
                                for (int pc = 0; pc < k; pc += blk.KC)
                                {
                                    int kc = Math.Min(blk.KC, k - pc);
                                    if (g.IsPointwise && runs == 1)
                                        // im2col rows of a 1×1 conv are the input planes: pack them as a plain GEMM B block.
                                        GemmPacking.PackB<TK>(p.In + ((nint)seg[0] * g.Channels + grp * g.GroupChannels) * g.ColCols, g.ColCols, false,
                                            pc, kc, seg[2], count, ws.B);
                                    else if (masks is not null)
                                        PackShifted<TK>(source, g, grp, seg, runs, count, pc, kc, ws.B, ws.Edge, masks, phased);
                                    else
                                        PackImage<TK>(p.In, g, grp, seg, runs, count, pc, kc, ws.B, ws.Edge);
                                    Multiply<TK>(a + (nint)pc * ogPad, ws.B, ws.A, kc, r0 * mr, r1 * mr, count, pc == 0 ? 0f : 1f, blk.MC);
                                }
                                StoreOutput(ws.A, RoundUp(count, nr), p.Out, epilogue, g, grp, p0, count, r0 * mr, Math.Min(og, r1 * mr));
                            }
                        }
                    }
                    finally
                    {
                        ArrayPool<int>.Shared.Return(segArray);
                    }
                });
            }
        }
        finally
        {
            if (cached is null) ArrayPool<float>.Shared.Return(packedArray);
            if (phased) ArrayPool<float>.Shared.Return(phaseArray);
        }
    }

    private static void BackwardInput<TK>(Pointers p, Conv2dGeometry g) where TK : struct, IGemmMicroKernel
    {
        int mr = TK.MR;
        GemmBlocking blk = GemmBlocking.For<TK>();
        int k = g.ColRows, kPad = RoundUp(k, mr), og = g.GroupOutChannels, ohw = g.ColCols;
        int positions = g.Batch * ohw;
        if (og == 0 || k == 0 || positions == 0) return; // dx += 0
        long packedLength = (long)kPad * og;
        float* cached = CachedWeights<TK>(p, k, og, g.Groups, transposed: true, packedLength, blk.KC);
        float[] packedArray = cached is null ? ArrayPool<float>.Shared.Rent((int)(g.Groups * packedLength + 16)) : [];
        float[] maskArray = IsShiftable(g) ? ShiftMasks(g) : [];
        try
        {
            fixed (float* packed0 = packedArray, masks0 = maskArray)
            {
                float* packed = cached is null ? Align(packed0) : cached, masks = maskArray.Length > 0 ? masks0 : null;
                // A operand: Wᵀ [K, og] per group (op(A)[i, q] = W[q, i]) as MR-row panels, KC block by KC block over og.
                if (cached is null) PackWeights<TK>(p.Weight, k, og, g.Groups, transposed: true, packed, packedLength, blk.KC);

                // col2im of two blocks of one image may touch the same dx elements, so a work unit is a whole image
                // (its blocks in order) when images are larger than a block, else a block of whole images; the images
                // are spread evenly over a multiple of the thread count of such blocks (16 images of 7×7 as 4, 4, 4, 4
                // rather than 5, 5, 5, 1).
                int imagesPerBlock = Math.Max(1, BlockPositions / ohw);
                bool split = ohw > BlockPositions;
                if (!split)
                {
                    int threads = Parallelism.IsNested ? 1 : Parallelism.Threads;
                    int target = Math.Min(g.Batch, RoundUp((g.Batch + imagesPerBlock - 1) / imagesPerBlock, threads));
                    imagesPerBlock = (g.Batch + target - 1) / target;
                }
                int units = split ? g.Batch : (g.Batch + imagesPerBlock - 1) / imagesPerBlock;
                float* pk = packed;
                Parallelism.For(units, 1, (u0, u1) =>
                {
                    int width = split ? BlockPositions : imagesPerBlock * ohw;
                    Workspace ws = Workspace.ForThread(kPad * RoundUp(width, TK.NR), blk.KC * RoundUp(width, TK.NR), RoundUp(width, TK.NR));
                    {
                        for (int u = u0; u < u1; u++)
                        {
                            int start = split ? u * ohw : u * imagesPerBlock * ohw;
                            int end = split ? start + ohw : Math.Min(positions, start + imagesPerBlock * ohw);
                            for (int p0 = start; p0 < end; p0 += width)
                            {
                                int count = Math.Min(width, end - p0);
                                for (int grp = 0; grp < g.Groups; grp++)
                                {
                                    float* a = pk + grp * packedLength;
                                    for (int pc = 0; pc < og; pc += blk.KC)
                                    {
                                        int kc = Math.Min(blk.KC, og - pc);
                                        PackRows<TK>(p.In, g.OutChannels, grp * og + pc, kc, ohw, p0, count, ws.B, ws.Edge);
                                        Multiply<TK>(a + (nint)pc * kPad, ws.B, ws.A, kc, 0, kPad, count, pc == 0 ? 0f : 1f, blk.MC);
                                    }
                                    if (masks is not null) FoldShifted(ws.A, p.Out, g, grp, p0, count, RoundUp(count, TK.NR), masks);
                                    else FoldInput(ws.A, p.Out, g, grp, p0, count, RoundUp(count, TK.NR));
                                }
                            }
                        }
                    }
                });
            }
        }
        finally
        {
            if (cached is null) ArrayPool<float>.Shared.Return(packedArray);
        }
    }

    /// <summary>How a blocked loop over [0, count) positions (or Winograd tiles) is cut into parallel work items. Blocks
    /// hold at most maxBlock positions and start on multiples of unit (NR); they are dealt to the threads in contiguous
    /// shares of near-equal positions (<see cref="ShareStart"/>), each share cut into near-equal blocks: 16 images of 7×7
    /// (784 positions) run as 192 + 192 and 224 + 176 positions on two threads, not 256 + 256 and 256 + 16 (65 % of the
    /// work on one thread). When there are
    /// fewer blocks than threads, each block is one share and is also cut into RowSplit row (output-channel) ranges.
    /// Every output element is computed the same way whatever block it falls in, so the plan does not change results.</summary>
    internal sealed class WorkPlan
    {
        private readonly int[] _shareFirst;
        private readonly int _rowPanels;

        private WorkPlan(int[] bounds, int[] shareFirst, int rowSplit, int rowPanels)
        {
            Bounds = bounds;
            _shareFirst = shareFirst;
            RowSplit = rowSplit;
            _rowPanels = rowPanels;
        }

        /// <summary>Block b covers [Bounds[b], Bounds[b + 1]).</summary>
        public int[] Bounds { get; }

        public int RowSplit { get; }

        public int Items => (_shareFirst.Length - 1) * RowSplit;

        public int FirstBlock(int item) => _shareFirst[item / RowSplit];

        public int EndBlock(int item) => _shareFirst[item / RowSplit + 1];

        /// <summary>The item's range of MR-row panels.</summary>
        public (int Start, int End) Rows(int item) => Parallelism.ChunkRange(_rowPanels, RowSplit, item % RowSplit);

        /// <param name="count">Positions (or tiles).</param>
        /// <param name="unit">Block starts are multiples of this (the micro-kernel's NR); <paramref name="maxBlock"/> is one too.</param>
        /// <param name="maxBlock">Most positions per block.</param>
        /// <param name="rowPanels">MR-row panels of the output channels, the most ways a block can be cut by rows.</param>
        public static WorkPlan For(int count, int unit, int maxBlock, int rowPanels)
        {
            if (count <= 0) return new WorkPlan([0], [0, 0], 1, rowPanels);
            int threads = Parallelism.IsNested ? 1 : Parallelism.Threads;
            int blocks = (count + maxBlock - 1) / maxBlock;
            int rowSplit = blocks >= threads ? 1 : Math.Clamp((threads + blocks - 1) / blocks, 1, Math.Max(1, rowPanels));
            int shares = rowSplit > 1 ? blocks : Math.Min(threads, blocks);
            var bounds = new List<int> { 0 };
            int[] shareFirst = new int[shares + 1];
            for (int s = 0; s < shares; s++)
            {
                shareFirst[s] = bounds.Count - 1;
                int start = ShareStart(count, unit, shares, s), end = ShareStart(count, unit, shares, s + 1);
                if (end <= start) continue;
                int shareUnits = (end - start + unit - 1) / unit, n = (end - start + maxBlock - 1) / maxBlock;
                for (int i = 1; i <= n; i++) bounds.Add(i == n ? end : start + Parallelism.ChunkRange(shareUnits, n, i).Start * unit);
            }
            shareFirst[shares] = bounds.Count - 1;
            return new WorkPlan([.. bounds], shareFirst, rowSplit, rowPanels);
        }
    }

    /// <summary>Where share <paramref name="s"/> of <paramref name="shares"/> starts: count · s / shares rounded to the
    /// nearest multiple of <paramref name="unit"/> (count itself for the end), so the shares hold near-equal positions
    /// rather than near-equal units: 196 Winograd tiles on two threads as 96 + 100, not 128 + 68 (seven units of 32, the
    /// last holding 4).</summary>
    private static int ShareStart(int count, int unit, int shares, int s) =>
        s >= shares ? count : (int)Math.Min(count, ((2L * count * s / shares + unit) / (2L * unit)) * unit);

    /// <summary>The weights packed as <see cref="PackWeights"/> does, from the frozen-weight cache (packed there on first
    /// use); null when the weight is not frozen, and then the caller packs per call.</summary>
    private static float* CachedWeights<TK>(Pointers p, int k, int og, int groups, bool transposed, long groupLength, int kcMax)
        where TK : struct, IGemmMicroKernel
    {
        if (p.WeightKey is null) return null;
        float* w = p.Weight;
        return FrozenWeights.Cached(p.WeightKey, (typeof(TK), transposed, kcMax, groups), groups * groupLength,
            dst => PackWeights<TK>(w, k, og, groups, transposed, dst, groupLength, kcMax));
    }

    /// <summary>Packs every group's weights as the A operand: W [og, K] (or Wᵀ [K, og] when <paramref name="transposed"/>) in
    /// MR-row panels, KC block by KC block over the inner dimension, group g at g·<paramref name="groupLength"/>. The
    /// (group, k block, row range) pieces are spread over the threads.</summary>
    private static void PackWeights<TK>(float* w, int k, int og, int groups, bool transposed, float* dst, long groupLength, int kcMax)
        where TK : struct, IGemmMicroKernel
    {
        int mr = TK.MR, rows = transposed ? k : og, inner = transposed ? og : k, rowsPad = RoundUp(rows, mr);
        int kBlocks = (inner + kcMax - 1) / kcMax, panels = rowsPad / mr;
        if (rows == 0 || inner == 0) return;
        int threads = Parallelism.IsNested ? 1 : Parallelism.Threads;
        int chunks = Math.Clamp(threads, 1, panels);
        Parallelism.For(groups * kBlocks * chunks, 1, (i0, i1) =>
        {
            for (int item = i0; item < i1; item++)
            {
                int grp = item / (kBlocks * chunks), rest = item % (kBlocks * chunks), pc = rest / chunks * kcMax, chunk = rest % chunks;
                int kc = Math.Min(kcMax, inner - pc);
                (int p0, int p1) = Parallelism.ChunkRange(panels, chunks, chunk);
                if (p0 == p1) continue;
                int ic = p0 * mr, mc = Math.Min(rows, p1 * mr) - ic;
                GemmPacking.PackA<TK>(w + (nint)grp * og * k, k, transposed, ic, mc, pc, kc,
                    dst + grp * groupLength + (nint)pc * rowsPad + (nint)ic * kc);
            }
        });
    }

    /// <summary>C[rows i0..i1, 0..count) (ldc = count rounded up to NR) = beta·C + A·B over one KC block, A from the
    /// packed panels (MC rows at a time, so they stay in L2) and B from the packed block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Multiply<TK>(float* a, float* b, float* c, int kc, int i0, int i1, int count, float beta, int mc)
        where TK : struct, IGemmMicroKernel
    {
        int mr = TK.MR, nr = TK.NR, ldc = RoundUp(count, nr);
        for (int ic = i0; ic < i1; ic += mc)
        {
            int icEnd = Math.Min(i1, ic + mc);
            for (int jr = 0; jr < count; jr += nr)
            {
                float* bPanel = b + (nint)jr * kc;
                for (int ir = ic; ir < icEnd; ir += mr)
                    TK.Run(kc, a + (nint)ir * kc, bPanel, c + (nint)ir * ldc + jr, ldc, 1f, beta);
            }
        }
    }

    /// <summary>Cuts output positions [p0, p0 + count) into runs that lie in one output row of one image (one run per
    /// image for a pointwise or a <see cref="IsShiftable"/> conv, whose im2col rows are (shifted) input planes): four ints
    /// per run, (image, output row, first column, last column + 1; the columns are plane positions for whole-image runs);
    /// returns the number of runs.</summary>
    private static int Segments(in Conv2dGeometry g, int p0, int count, int* seg)
    {
        int ohw = g.ColCols, ow = g.OutW, runs = 0;
        for (int pos = p0; pos < p0 + count; runs++, seg += 4)
        {
            int n = pos / ohw, local = pos - n * ohw;
            if (g.IsPointwise || IsShiftable(g) || IsPhaseable(g))
            {
                int run = Math.Min(ohw - local, p0 + count - pos);
                (seg[0], seg[1], seg[2], seg[3]) = (n, 0, local, local + run);
                pos += run;
                continue;
            }
            int i = local / ow, j0 = local - i * ow, j1 = Math.Min(ow, j0 + p0 + count - pos);
            (seg[0], seg[1], seg[2], seg[3]) = (n, i, j0, j1);
            pos += j1 - j0;
        }
        return runs;
    }

    /// <summary>Packs im2col rows [pc, pc + kc) of group <paramref name="grp"/> for the output positions described by
    /// <paramref name="seg"/> (from <see cref="Segments"/>) into NR-wide panels [count/NR][kc][NR], zero padded;
    /// <paramref name="row"/> is scratch of count rounded up to NR.</summary>
    /// <remarks>Each im2col row is built contiguously in <paramref name="row"/> (L1) and then copied into its panels
    /// NR values at a time; writing the runs straight into the panels, split at panel edges, measured ~1.4× slower.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackImage<TK>(float* x, in Conv2dGeometry g, int grp, int* seg, int runs, int count, int pc, int kc,
        float* dst, float* row)
        where TK : struct, IGemmMicroKernel
    {
        int nr = TK.NR, hw = g.Height * g.Width, h = g.Height, w = g.Width, sh = g.StrideH, sw = g.StrideW;
        int padded = RoundUp(count, nr);
        bool pointwise = g.IsPointwise;
        new Span<float>(row + count, padded - count).Clear();
        float* xg = x + (nint)grp * g.GroupChannels * hw;
        nint imageStride = (nint)g.Channels * hw;
        for (int q = 0; q < kc; q++)
        {
            (int c, _, int offH, int offW) = ColRow(g, pc + q);
            (int owLo, int owHi) = Conv2dKernels.ValidRange(g.OutW, sw, offW, w);
            float* plane = xg + (nint)c * hw, d = row;
            int* s = seg;
            for (int r = 0; r < runs; r++, s += 4)
            {
                float* src = plane + s[0] * imageStride;
                int j0 = s[2], j1 = s[3], len = j1 - j0;
                if (pointwise)
                {
                    Copy(src + j0, d, len);
                    d += len;
                    continue;
                }
                int ih = s[1] * sh + offH, lo = Math.Max(j0, owLo), hi = Math.Min(j1, owHi);
                if ((uint)ih >= (uint)h || lo >= hi)
                {
                    new Span<float>(d, len).Clear();
                    d += len;
                    continue;
                }
                for (int j = j0; j < lo; j++) *d++ = 0f;
                float* from = src + (nint)ih * w + lo * sw + offW;
                int n = hi - lo;
                if (sw == 1) Copy(from, d, n);
                else if (sw == 2) Conv2dKernels.GatherEven(new ReadOnlySpan<float>(from, 2 * n - 1), new Span<float>(d, n));
                else for (int j = 0; j < n; j++) d[j] = from[(nint)j * sw];
                d += n;
                for (int j = hi; j < j1; j++) *d++ = 0f;
            }
            ScatterRow(row, dst + (nint)q * nr, padded, nr, kc);
        }
    }

    /// <summary>True for a stride-1 conv whose output has the input's size ("same" padding, e.g. every 3×3 pad-1 conv
    /// of a ResNet) and that is not pointwise: then im2col row (c, kh, kw) of an image is input plane c shifted by
    /// offH·W + offW, with the positions whose tap falls outside the input set to zero, so it is packed per whole image
    /// with vector moves instead of one short run per output row (7 values on a 7×7 map).</summary>
    internal static bool IsShiftable(in Conv2dGeometry g) =>
        !g.IsPointwise && g.StrideH == 1 && g.StrideW == 1 && g.OutH == g.Height && g.OutW == g.Width;

    /// <summary>True for a stride-2 conv on an even-sized input whose output is half its size (ResNet's 3×3 and 1×1
    /// downsampling convs, the 7×7 stem): split into its four phase planes x[2i + a, 2j + b] (<see cref="Deinterleave"/>),
    /// tap (kh, kw) reads phase (offH mod 2, offW mod 2) shifted by ⌊offH/2⌋·OW + ⌊offW/2⌋, so it packs like an
    /// <see cref="IsShiftable"/> conv on OH×OW planes.</summary>
    /// <remarks>A 1×1 conv reads one phase only: the row-run packing, which gathers just that phase, is faster there.</remarks>
    internal static bool IsPhaseable(in Conv2dGeometry g) =>
        g.KernelH * g.KernelW > 1 && g.StrideH == 2 && g.StrideW == 2 && g.Height % 2 == 0 && g.Width % 2 == 0 && g.OutH * 2 == g.Height && g.OutW * 2 == g.Width;

    /// <summary>For an <see cref="IsShiftable"/> or <see cref="IsPhaseable"/> conv: per tap (kh, kw) and output position l,
    /// all bits set when the tap reads inside the input at l, else 0 ([taps, OH·OW], for a vector select).</summary>
    /// <remarks>Cached per geometry (they do not depend on the batch or the channels): for a ResNet stem at batch 1, building
    /// them on every call cost a quarter of the conv.</remarks>
    internal static float[] ShiftMasks(in Conv2dGeometry g)
    {
        var key = (g.Height, g.Width, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.DilationH, g.DilationW);
        if (s_masks.TryGetValue(key, out float[]? cached)) return cached;
        if (s_masks.Count >= 256) s_masks.Clear();
        return s_masks[key] = BuildShiftMasks(g);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, int, int, int, int, int, int, int, int, int), float[]> s_masks = new();

    private static float[] BuildShiftMasks(in Conv2dGeometry g)
    {
        int oh = g.OutH, ow = g.OutW, ohw = oh * ow, taps = g.KernelH * g.KernelW, s = g.StrideH;
        float inside = BitConverter.Int32BitsToSingle(-1);
        var masks = new float[taps * ohw];
        for (int tap = 0; tap < taps; tap++)
        {
            (_, _, int offH, int offW) = ColRow(g, tap);
            for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                if ((uint)(i * s + offH) < (uint)g.Height && (uint)(j * s + offW) < (uint)g.Width) masks[tap * ohw + i * ow + j] = inside;
        }
        return masks;
    }

    /// <summary>Splits every H×W plane of x into its four phase planes [N, C, 4, H/2, W/2], phase 2a + b holding
    /// x[2i + a, 2j + b].</summary>
    private static void Deinterleave(float* x, float* phases, in Conv2dGeometry g)
    {
        int h = g.Height, w = g.Width, oh = h / 2, ow = w / 2, planes = g.Batch * g.Channels;
        Parallelism.For(planes, Math.Max(1, 4096 / (h * w)), (p0, p1) =>
        {
            for (int plane = p0; plane < p1; plane++)
            {
                float* src = x + (nint)plane * h * w, dst = phases + (nint)plane * h * w;
                for (int i = 0; i < oh; i++)
                for (int a = 0; a < 2; a++)
                {
                    float* row = src + (nint)(2 * i + a) * w;
                    Conv2dKernels.GatherEven(new ReadOnlySpan<float>(row, w - 1), new Span<float>(dst + (2 * a) * oh * ow + i * ow, ow));
                    Conv2dKernels.GatherEven(new ReadOnlySpan<float>(row + 1, w - 1), new Span<float>(dst + (2 * a + 1) * oh * ow + i * ow, ow));
                }
            }
        });
    }

    /// <summary><see cref="PackImage{TK}"/> for <see cref="IsShiftable"/> convs (x is the input) and <see cref="IsPhaseable"/>
    /// ones (x is the <see cref="Deinterleave"/>d input, <paramref name="phased"/>): each run of <paramref name="seg"/> is
    /// a range of output positions of one image; row value l is plane[l + shift] where the tap is inside the input, else 0
    /// (<paramref name="masks"/> from <see cref="ShiftMasks"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackShifted<TK>(float* x, in Conv2dGeometry g, int grp, int* seg, int runs, int count, int pc, int kc,
        float* dst, float* row, float* masks, bool phased)
        where TK : struct, IGemmMicroKernel
    {
        int nr = TK.NR, hw = g.Height * g.Width, ow = g.OutW, ohw = g.OutH * ow;
        int padded = RoundUp(count, nr);
        new Span<float>(row + count, padded - count).Clear();
        float* xg = x + (nint)grp * g.GroupChannels * hw;
        nint imageStride = (nint)g.Channels * hw;
        for (int q = 0; q < kc; q++)
        {
            (int c, int tap, int offH, int offW) = ColRow(g, pc + q);
            float* plane = xg + (nint)c * hw, d = row, mask = masks + (nint)tap * ohw;
            int shift = offH * ow + offW;
            if (phased)
            {
                plane += (2 * (offH & 1) + (offW & 1)) * ohw;
                shift = (offH >> 1) * ow + (offW >> 1);
            }
            int* s = seg;
            for (int r = 0; r < runs; r++, s += 4)
            {
                int l0 = s[2], l1 = s[3];
                ShiftRun(plane + s[0] * imageStride, d, l0, l1, shift, ohw, mask);
                d += l1 - l0;
            }
            ScatterRow(row, dst + (nint)q * nr, padded, nr, kc);
        }
    }

    /// <summary>d[l − l0] = mask[l] ? src[l + shift] : 0 for plane positions l in [l0, l1); positions whose source lies
    /// outside the plane are outside the input too, and are zeroed without being read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShiftRun(float* src, float* d, int l0, int l1, int shift, int hw, float* mask)
    {
        int a = Math.Clamp(-shift, l0, l1), b = Math.Clamp(hw - shift, a, l1);
        new Span<float>(d, a - l0).Clear();
        new Span<float>(d + (b - l0), l1 - b).Clear();
        float* from = src + shift, to = d - l0;
        int l = a;
        for (; l <= b - 8; l += 8)
            Vector256.ConditionalSelect(Vector256.Load(mask + l), Vector256.Load(from + l), Vector256<float>.Zero).Store(to + l);
        for (; l < b; l++) to[l] = BitConverter.SingleToInt32Bits(mask[l]) != 0 ? from[l] : 0f;
    }

    /// <summary>What im2col row <paramref name="row"/> of a group holds: input channel (within the group), tap kh·KW + kw,
    /// and the input offset (kh·dilationH − padH, kw·dilationW − padW) the tap reads at output (0, 0) before striding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Channel, int Tap, int OffH, int OffW) ColRow(in Conv2dGeometry g, int row)
    {
        int taps = g.KernelH * g.KernelW, c = row / taps, tap = row - c * taps, kh = tap / g.KernelW, kw = tap - kh * g.KernelW;
        return (c, tap, kh * g.DilationH - g.PadH, kw * g.DilationW - g.PadW);
    }

    /// <summary>Packs rows [o0, o0 + kc) of a [N, rows, ohw] tensor for positions [p0, p0 + count) of the batch into
    /// NR-wide panels [count/NR][kc][NR], zero padded; <paramref name="row"/> is scratch of count rounded up to NR.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRows<TK>(float* t, int rows, int o0, int kc, int ohw, int p0, int count, float* dst, float* row)
        where TK : struct, IGemmMicroKernel
    {
        int nr = TK.NR, padded = RoundUp(count, nr);
        var rowSpan = new Span<float>(row, padded);
        rowSpan[count..].Clear();
        for (int q = 0; q < kc; q++)
        {
            for (int pos = p0, at = 0; pos < p0 + count;)
            {
                int n = pos / ohw, local = pos - n * ohw, run = Math.Min(ohw - local, p0 + count - pos);
                new ReadOnlySpan<float>(t + ((nint)n * rows + o0 + q) * ohw + local, run).CopyTo(rowSpan.Slice(at, run));
                pos += run;
                at += run;
            }
            ScatterRow(row, dst + (nint)q * nr, padded, nr, kc);
        }
    }

    /// <summary>Copies a packed row of <paramref name="padded"/> values into its NR-wide panels (row q of each).</summary>
    /// <remarks>Whole vectors, inline: a memmove call per 128-byte panel row cost ~5 % of a ResNet forward.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScatterRow(float* row, float* dst, int padded, int nr, int kc)
    {
        nint panelSize = (nint)kc * nr;
        int vw = System.Numerics.Vector<float>.Count;
        if (nr % vw != 0)
        {
            for (int j = 0; j < padded; j += nr, dst += panelSize) Unsafe.CopyBlockUnaligned(dst, row + j, (uint)(nr * sizeof(float)));
            return;
        }
        for (int j = 0; j < padded; j += nr, dst += panelSize)
            for (int t = 0; t < nr; t += vw)
                System.Numerics.Vector.Store(System.Numerics.Vector.Load(row + j + t), dst + t);
    }

    /// <summary>dst[0..n) = src[0..n) with inline vector moves (the runs are short: one output row, 7 to 112 values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int n)
    {
        int vw = System.Numerics.Vector<float>.Count, j = 0;
        for (; j <= n - vw; j += vw) System.Numerics.Vector.Store(System.Numerics.Vector.Load(src + j), dst + j);
        for (; j < n; j++) dst[j] = src[j];
    }

    /// <summary>Prefetches into L2 the residual lines that <see cref="StoreOutput"/> will read for rows [o0, o1) and
    /// positions [p0, p0 + count) of group <paramref name="grp"/>, and the output lines it will write there when the
    /// output is not the residual itself (a consumed residual).</summary>
    /// <remarks>The output of a block is [rows, count] scattered over one run of at most count values per output plane, so
    /// a 56×56 map at 256 positions per block reads and writes 1 KiB from each of hundreds of planes, each on its own page:
    /// too short a stream for the hardware prefetchers, so the epilogue waited on memory (half of a ResNet-50 bottleneck's
    /// 1×1 conv with its residual, in a profile). Prefetching the lines while the GEMM computes overlaps that wait: 1×1
    /// convs with residual on 28×28 and 56×56 maps at batch 16 took 0.89-0.94 × the time (1 thread, min of 10+ runs,
    /// load average ~4.5), but 1.03-1.07 × on 14×14 maps, where a block holds whole planes, and without a residual the
    /// effect was within the noise (0.93-1.02, the stem 1.02); so the caller prefetches only for convs with a residual
    /// on maps larger than a block.</remarks>
    private static void Prefetch(float* y, float* residual, in Conv2dGeometry g, int grp, int p0, int count, int o0, int o1)
    {
        if (!Sse.IsSupported) return;
        int ohw = g.ColCols, og = g.GroupOutChannels;
        for (int o = o0; o < o1; o++)
        {
            int channel = grp * og + o;
            for (int pos = p0; pos < p0 + count;)
            {
                int n = pos / ohw, local = pos - n * ohw, run = Math.Min(ohw - local, p0 + count - pos);
                nint offset = ((nint)n * g.OutChannels + channel) * ohw + local;
                PrefetchRun(residual + offset, run);
                if (y != residual) PrefetchRun(y + offset, run);
                pos += run;
            }
        }
    }

    /// <summary>prefetcht1 on every cache line of [p, p + count).</summary>
    private static void PrefetchRun(float* p, int count)
    {
        const int lineFloats = 64 / sizeof(float);
        for (int j = 0; j < count; j += lineFloats) Sse.Prefetch1(p + j);
        Sse.Prefetch1(p + count - 1);   // the last line, when the run does not start on a line
    }

    /// <summary>y[n, grp·og + o, local] = epilogue(C[o, pos − p0]) for rows [o0, o1) and positions [p0, p0 + count).</summary>
    private static void StoreOutput(float* c, int ldc, float* y, in Conv2dEpilogue.Pointers epilogue, in Conv2dGeometry g, int grp,
        int p0, int count, int o0, int o1)
    {
        int ohw = g.ColCols, og = g.GroupOutChannels;
        for (int o = o0; o < o1; o++)
        {
            float* src = c + (nint)o * ldc;
            int channel = grp * og + o;
            for (int pos = p0, at = 0; pos < p0 + count;)
            {
                int n = pos / ohw, local = pos - n * ohw, run = Math.Min(ohw - local, p0 + count - pos);
                nint offset = ((nint)n * g.OutChannels + channel) * ohw + local;
                Conv2dEpilogue.Apply(src + at, y + offset, epilogue, channel, offset, run);
                pos += run;
                at += run;
            }
        }
    }

    /// <summary>dx[n, group] += col2im(C[:, pos − p0]) for positions [p0, p0 + count); C rows are <paramref name="ldc"/> apart.</summary>
    private static void FoldInput(float* c, float* dx, in Conv2dGeometry g, int grp, int p0, int count, int ldc)
    {
        int ohw = g.ColCols, hw = g.Height * g.Width, cg = g.GroupChannels, k = g.ColRows;
        for (int pos = p0, at = 0; pos < p0 + count;)
        {
            int n = pos / ohw, local = pos - n * ohw, run = Math.Min(ohw - local, p0 + count - pos);
            var col = new ReadOnlySpan<float>(c + at, (k - 1) * ldc + run);
            var plane = new Span<float>(dx + ((nint)n * g.Channels + grp * cg) * hw, cg * hw);
            Conv2dKernels.Col2ImBlock(col, plane, g, local, run, ldc);
            pos += run;
            at += run;
        }
    }

    /// <summary><see cref="FoldInput"/> for <see cref="IsShiftable"/> convs: im2col row (c, kh, kw) of an image adds to
    /// input plane c shifted by offH·W + offW where the tap is inside the input (<paramref name="masks"/>), in the same
    /// row order as col2im, so each dx element receives the same sums in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FoldShifted(float* c, float* dx, in Conv2dGeometry g, int grp, int p0, int count, int ldc, float* masks)
    {
        int hw = g.Height * g.Width, w = g.Width, cg = g.GroupChannels, taps = g.KernelH * g.KernelW;
        for (int pos = p0, at = 0; pos < p0 + count;)
        {
            int n = pos / hw, l0 = pos - n * hw, l1 = Math.Min(hw, l0 + p0 + count - pos);
            float* image = dx + ((nint)n * g.Channels + grp * cg) * hw;
            for (int row = 0; row < cg * taps; row++)
            {
                (int ch, int tap, int offH, int offW) = ColRow(g, row);
                int shift = offH * w + offW;
                int a = Math.Clamp(-shift, l0, l1), b = Math.Clamp(hw - shift, a, l1);
                float* to = image + (nint)ch * hw + shift, from = c + (nint)row * ldc + at - l0, mask = masks + (nint)tap * hw;
                int l = a;
                for (; l <= b - 8; l += 8)
                {
                    Vector256<float> old = Vector256.Load(to + l);
                    Vector256.ConditionalSelect(Vector256.Load(mask + l), old + Vector256.Load(from + l), old).Store(to + l);
                }
                for (; l < b; l++)
                    if (BitConverter.SingleToInt32Bits(mask[l]) != 0) to[l] += from[l];
            }
            at += l1 - l0;
            pos += l1 - l0;
        }
    }

    /// <summary>This thread's scratch: the output tile (A), the packed B block (B) and a row buffer (Edge), 64-byte aligned
    /// in one pinned array that grows to the largest request and is kept. Conv shapes change from call to call, and a
    /// pool of exact-fit buffers kept reallocating them (fresh pages, page faults on every call).</summary>
    private readonly struct Workspace
    {
        [ThreadStatic]
        private static float[]? t_storage;

        public readonly float* A, B, Edge;

        private Workspace(float* a, float* b, float* edge)
        {
            A = a;
            B = b;
            Edge = edge;
        }

        public static Workspace ForThread(int aLength, int bLength, int edgeLength)
        {
            long need = (long)RoundUp(aLength, 16) + RoundUp(bLength, 16) + RoundUp(edgeLength, 16) + 16;
            if (t_storage is null || t_storage.Length < need)
                t_storage = GC.AllocateUninitializedArray<float>((int)need, pinned: true);
            float* p = Align((float*)Unsafe.AsPointer(ref t_storage[0]));
            return new Workspace(p, p + RoundUp(aLength, 16), p + RoundUp(aLength, 16) + RoundUp(bLength, 16));
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);
}
