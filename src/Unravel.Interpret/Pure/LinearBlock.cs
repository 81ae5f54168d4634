// PURE circuits through one BasicBlock with a hand-written backward (docs/methods/pure.md).
// When the analysed layer is the output of a single BasicBlock fed by the lower layer, the block is, for a fixed input
// and in eval mode, a linear map with fixed ReLU masks: conv1 → BN1 (affine) → mask1 → conv2 → BN2 → + shortcut → mask2.
// A PURE seed lives in one output channel j, so:
//   d_sum = relu(y_j) (the seed already vanishes where the final ReLU is off), d_h2 = s2[j]·d_sum (BN2 scale),
//   d_r1  = conv2ᵀ restricted to output channel j (1/C of the dense transposed convolution),
//   d_h1  = d_r1 ⊙ [r1 > 0] ⊙ s1,
//   circuit[i] = Σ_q x[i,q]·(conv1ᵀ d_h1)[i,q] + shortcut term
//              = Σ_{p,t} X[p, i·kk + t] · Gᵀ[p, i·kk + t],  Gᵀ = d_h1ᵀ·W1 ([H'·W', P]·[P, C_in·kk]),
// X being the input's im2row for conv1 (row p: the C_in·kk values conv1 reads for output position p). All the
// neurons of one input share X and one GEMM for Gᵀ (their d_h1 side by side), so each (neuron, input) pair costs one
// single-channel transposed conv2 (a small GEMM over a gathered column), its share of that GEMM and one pass of
// multiply-adds over X, instead of a dense backward through the whole network. A conv shortcut adds
// Σ_t Ws[j, i, t]·(Σ_p Xs[p, i·ks² + t]·s_s[j]·y_j[p]) with Xs the input's im2row for the shortcut conv.
// The gathers (im2row, the transposed conv2's column) run from index tables built once per input size.

using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Unravel.Models.Vision;
using Unravel.Nn.Layers;
using Unravel.Tensors;

namespace Unravel.Interpret.Pure;

/// <summary>The forward state of one BasicBlock for a batch, and the per-(row, neuron) relevance from it.</summary>
internal sealed class LinearBlock
{
    private readonly BasicBlock _block;
    private readonly float[] _scale1, _scale2, _scaleShortcut;

    private LinearBlock(BasicBlock block)
    {
        _block = block;
        _scale1 = Scale(block.Bn1!);
        _scale2 = Scale(block.Bn2!);
        _scaleShortcut = block.Shortcut is { Bn: { } bn } ? Scale(bn) : [];
    }

    /// <summary>A hand-written backward for <paramref name="blocks"/> when it is one BasicBlock with batch norms, plain
    /// convolutions (no dilation or groups) and an identity or conv-BN shortcut; otherwise null.</summary>
    public static LinearBlock? TryCreate(IReadOnlyList<ResidualBlockBase> blocks)
    {
        if (blocks is not [BasicBlock b] || b.Training || b.Bn1 is null || b.Bn2 is null) return null;
        if (b.Shortcut is { } s && (s.Bn is null || !Plain(s.Conv))) return null;
        return Plain(b.Conv1) && Plain(b.Conv2) ? new LinearBlock(b) : null;
    }

    private static bool Plain(Conv2d c) => c.Options.Groups == 1 && c.Options.Dilation == (1, 1);

    /// <summary>Runs the block on <paramref name="x"/> [N, C_in, H, W] (untracked), keeping what the backward needs.</summary>
    public State Forward(Tensor x)
    {
        BasicBlock b = _block;
        // Eval mode and nothing tracked: the block's own fused ops (conv-BN-ReLU, conv-BN-add-ReLU), as BasicBlock.Forward.
        Tensor r1 = ConvBnAct.Forward(b.Conv1, b.Bn1, x, relu: true);                                           // [N, P, H', W']
        Tensor shortcut = b.Shortcut is { } s ? ConvBnAct.Forward(s.Conv, s.Bn, x) : x;                      // [N, P, H', W']
        Tensor y = ConvBnAct.Forward(b.Conv2, b.Bn2, r1, shortcut, relu: true);                                 // [N, P, H', W']
        int hi = x.Dim(2), wi = x.Dim(3), ho = y.Dim(2), wo = y.Dim(3);
        Tables tables = _tables is { } t && t.Hi == hi && t.Wi == wi ? t : _tables = new Tables(
            hi, wi, Im2RowIndex(b.Conv1, hi, wi, ho, wo), b.Shortcut is { } sc ? Im2RowIndex(sc.Conv, hi, wi, ho, wo) : [],
            b.Conv2.Options.Stride == (1, 1) ? AdjointIndex(b.Conv2, ho, wo) : null);
        return new State(x, r1, y, tables);
    }

    private Tables? _tables;

    /// <summary>Raw (unnormalised) relevance Σ_q x·∂(Σ_p relu(y_j)·y_j)/∂x per input channel, for row <paramref name="row"/>
    /// and each neuron j of <paramref name="neurons"/> (see the file header for the algebra).</summary>
    public double[][] Relevance(State state, int row, IReadOnlyList<int> neurons)
    {
        BasicBlock b = _block;
        Conv2d c1 = b.Conv1, c2 = b.Conv2;
        int p = c1.OutChannels, ci = c1.InChannels, kk = c1.Kernel * c1.Kernel, m = neurons.Count, k2 = c2.Kernel * c2.Kernel;
        int ho = state.Y.Dim(2), wo = state.Y.Dim(3), po = ho * wo;
        int hi = state.X.Dim(2), wi = state.X.Dim(3), pi = hi * wi, width = ci * kk;
        Tables tables = state.Tables;
        ReadOnlySpan<float> x = state.X.Data.Slice(row * ci * pi, ci * pi);
        ReadOnlySpan<float> r1 = state.R1.Data.Slice(row * p * po, p * po);
        int shortcutWidth = b.Shortcut is { } sc ? ci * sc.Conv.Kernel * sc.Conv.Kernel : 0;
        Scratch scratch = Scratch.ForThread(p * m * po, m * po * width, po * Math.Max(width, shortcutWidth), k2 * po, p * po);

        // d_h1 of every neuron, side by side: dh1[c, r·po + q] (ReLU1 mask and BN1 scale applied).
        Span<float> dh1 = scratch.Dh1, one = scratch.One, column = scratch.Column;
        for (int r = 0; r < m; r++)
        {
            int j = neurons[r];
            ReadOnlySpan<float> yj = state.Y.Data.Slice((row * p + j) * po, po);
            ReadOnlySpan<float> w2 = c2.W.Value.Data.Slice(j * p * k2, p * k2);                            // [P, k2²]
            if (tables.Adjoint is { } adjoint)
            {
                // Column [k2², po] of d_h2 = s2[j]·relu(y_j) read by each tap, then one = W2[j] · column.
                for (int e = 0; e < adjoint.Length; e++) column[e] = adjoint[e] >= 0 ? yj[adjoint[e]] * _scale2[j] : 0f;
                Unravel.Tensors.Kernels.Gemm.Sgemm(w2, column, one, p, po, k2);
            }
            else
            {
                var dh2 = new float[po];
                TensorPrimitives.Multiply(yj, _scale2[j], dh2);
                one.Clear();
                TransposeOneScalar(w2, dh2, p, c2.Kernel, c2.Options, ho, wo, ho, wo, one);
            }
            for (int c = 0; c < p; c++)
                MaskScale(one.Slice(c * po, po), r1.Slice(c * po, po), _scale1[c], dh1.Slice(c * m * po + r * po, po));
        }

        // Gᵀ = d_h1ᵀ · W1: [m·po, C_in·kk]; row r·po + q holds neuron r's gradient at every value conv1 reads for q.
        Span<float> gt = scratch.Gt;
        Unravel.Tensors.Kernels.Gemm.Sgemm(dh1, c1.W.Value.Data, gt, m * po, width, p, transA: true);
        Span<float> im2row = scratch.Im2Row[..(po * width)];
        Gather(x, tables.Conv1, pi, kk, im2row);

        var result = new double[m][];
        Span<float> acc = scratch.Acc(width);
        for (int r = 0; r < m; r++)
        {
            int j = neurons[r];
            acc.Clear();
            for (int q = 0; q < po; q++)
                MultiplyAdd(im2row.Slice(q * width, width), gt.Slice((r * po + q) * width, width), acc);
            var raw = result[r] = new double[ci];
            for (int i = 0; i < ci; i++)
            {
                double sum = 0;
                for (int t = 0; t < kk; t++) sum += acc[i * kk + t];
                raw[i] = sum;
            }
        }

        ReadOnlySpan<float> yRow = state.Y.Data.Slice(row * p * po, p * po);
        if (b.Shortcut is { } s)
        {
            // Σ_t Ws[j, i, t] · (Σ_q Xs[q, i·ks² + t] · s_s[j]·y_j[q]).
            int ks = s.Conv.Kernel * s.Conv.Kernel, sWidth = ci * ks;
            Span<float> xs = scratch.Im2Row[..(po * sWidth)];
            Gather(x, tables.Shortcut, pi, ks, xs);
            Span<float> v = scratch.Acc(sWidth);
            for (int r = 0; r < m; r++)
            {
                int j = neurons[r];
                ReadOnlySpan<float> yj = yRow.Slice(j * po, po), ws = s.Conv.W.Value.Data.Slice(j * sWidth, sWidth);
                v.Clear();
                for (int q = 0; q < po; q++)
                    if (yj[q] != 0f) TensorPrimitives.MultiplyAdd(xs.Slice(q * sWidth, sWidth), yj[q] * _scaleShortcut[j], v, v);
                double[] raw = result[r];
                for (int i = 0; i < ci; i++)
                {
                    double sum = 0;
                    for (int t = 0; t < ks; t++) sum += (double)ws[i * ks + t] * v[i * ks + t];
                    raw[i] += sum;
                }
            }
        }
        else
        {
            for (int r = 0; r < m; r++)
            {
                int j = neurons[r];
                result[r][j] += TensorPrimitives.Dot(x.Slice(j * pi, pi), yRow.Slice(j * po, po));       // identity shortcut
            }
        }
        return result;
    }

    /// <summary>dst = src·scale where mask &gt; 0, else 0.</summary>
    private static void MaskScale(ReadOnlySpan<float> src, ReadOnlySpan<float> mask, float scale, Span<float> dst)
    {
        int q = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s = Vector256.Create(scale);
            for (; q <= src.Length - 8; q += 8)
            {
                Vector256<float> on = Vector256.GreaterThan(Vector256.Create(mask.Slice(q, 8)), Vector256<float>.Zero);
                (Vector256.Create(src.Slice(q, 8)) * s & on).CopyTo(dst.Slice(q, 8));
            }
        }
        for (; q < src.Length; q++) dst[q] = mask[q] > 0f ? src[q] * scale : 0f;
    }

    /// <summary>acc += a ⊙ b.</summary>
    private static void MultiplyAdd(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> acc) =>
        TensorPrimitives.FusedMultiplyAdd(a, b, acc, acc);

    /// <summary>im2row of one image: dst[q, i·taps + t] = x[i·planeSize + index[q·taps + t]], 0 where the index is −1.</summary>
    private static void Gather(ReadOnlySpan<float> x, int[] index, int planeSize, int taps, Span<float> dst)
    {
        int positions = index.Length / taps, channels = x.Length / planeSize, width = channels * taps;
        for (int q = 0; q < positions; q++)
        {
            ReadOnlySpan<int> at = index.AsSpan(q * taps, taps);
            Span<float> row = dst.Slice(q * width, width);
            for (int i = 0; i < channels; i++)
            {
                ReadOnlySpan<float> plane = x.Slice(i * planeSize, planeSize);
                for (int t = 0; t < taps; t++) row[i * taps + t] = at[t] >= 0 ? plane[at[t]] : 0f;
            }
        }
    }

    /// <summary>For each output position q and tap t of <paramref name="conv"/>, the input plane offset it reads, or −1 in
    /// the padding ([H'·W'·k²]).</summary>
    private static int[] Im2RowIndex(Conv2d conv, int hi, int wi, int ho, int wo)
    {
        int k = conv.Kernel;
        (int sh, int sw) = conv.Options.Stride;
        (int ph, int pw) = conv.Options.Padding;
        var index = new int[ho * wo * k * k];
        for (int py = 0; py < ho; py++)
        for (int px = 0; px < wo; px++)
        for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
        {
            int iy = py * sh - ph + ky, ix = px * sw - pw + kx;
            index[((py * wo + px) * k + ky) * k + kx] = (uint)iy < (uint)hi && (uint)ix < (uint)wi ? iy * wi + ix : -1;
        }
        return index;
    }

    /// <summary>For the stride-1 conv2 (input and output H'×W'): for tap t and input position q, the output position whose
    /// gradient reaches q through t, or −1 ([k², H'·W']): column[t, q] = d_h2[index] for the transposed conv.</summary>
    private static int[] AdjointIndex(Conv2d conv, int h, int w)
    {
        int k = conv.Kernel;
        (int ph, int pw) = conv.Options.Padding;
        int oh = h + 2 * ph - k + 1, ow = w + 2 * pw - k + 1;
        var index = new int[k * k * h * w];
        for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
        for (int iy = 0; iy < h; iy++)
        for (int ix = 0; ix < w; ix++)
        {
            int py = iy + ph - ky, px = ix + pw - kx;
            index[((ky * k + kx) * h + iy) * w + ix] = (uint)py < (uint)oh && (uint)px < (uint)ow ? py * ow + px : -1;
        }
        return index;
    }

    /// <summary>din[c, iy, ix] += w[c, ky, kx]·dout[py, px] over the conv's geometry (one output channel; any stride).</summary>
    private static void TransposeOneScalar(ReadOnlySpan<float> w, ReadOnlySpan<float> dout, int channels, int k, Conv2dOptions o,
        int ho, int wo, int hi, int wi, Span<float> din)
    {
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                {
                    float wv = w[(c * k + ky) * k + kx];
                    if (wv == 0f) continue;
                    for (int py = 0; py < ho; py++)
                    {
                        int iy = py * o.Stride.H - o.Padding.H + ky;
                        if ((uint)iy >= (uint)hi) continue;
                        for (int px = 0; px < wo; px++)
                        {
                            int ix = px * o.Stride.W - o.Padding.W + kx;
                            if ((uint)ix >= (uint)wi) continue;
                            din[(c * hi + iy) * wi + ix] += wv * dout[py * wo + px];
                        }
                    }
                }
    }

    /// <summary>This thread's buffers for <see cref="Relevance"/>, grown to the largest request and kept.</summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? t_scratch;

        private float[] _dh1 = [], _gt = [], _im2row = [], _column = [], _one = [], _acc = [];
        private int _nDh1, _nGt, _nIm2Row, _nColumn, _nOne;

        public Span<float> Dh1 => _dh1.AsSpan(0, _nDh1);
        public Span<float> Gt => _gt.AsSpan(0, _nGt);
        public Span<float> Im2Row => _im2row.AsSpan(0, _nIm2Row);
        public Span<float> Column => _column.AsSpan(0, _nColumn);
        public Span<float> One => _one.AsSpan(0, _nOne);

        public Span<float> Acc(int n) => Grow(ref _acc, n).AsSpan(0, n);

        public static Scratch ForThread(int dh1, int gt, int im2row, int column, int one)
        {
            Scratch s = t_scratch ??= new Scratch();
            Grow(ref s._dh1, s._nDh1 = dh1);
            Grow(ref s._gt, s._nGt = gt);
            Grow(ref s._im2row, s._nIm2Row = im2row);
            Grow(ref s._column, s._nColumn = column);
            Grow(ref s._one, s._nOne = one);
            return s;
        }

        private static float[] Grow(ref float[] buffer, int n) => buffer.Length >= n ? buffer : buffer = new float[n];
    }

    private static float[] Scale(BatchNorm2d bn) => bn.EvalAffine().Scale;

    /// <summary>What the backward reads: the block input, ReLU1's output (positive exactly where its mask is on), the block
    /// output.</summary>
    internal sealed record State(Tensor X, Tensor R1, Tensor Y, Tables Tables);

    /// <summary>Index tables for one input size: conv1's and the shortcut conv's im2row, conv2's adjoint column (null
    /// for a strided conv2, which takes the scalar path).</summary>
    internal sealed record Tables(int Hi, int Wi, int[] Conv1, int[] Shortcut, int[]? Adjoint);
}
