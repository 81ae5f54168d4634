// PURE circuits through one BasicBlock with a hand-written backward (spec /work/shared/methods/pure-lrp-crp.md §1.7).
// When the analysed layer is the output of a single BasicBlock fed by the lower layer, the block is, for a fixed input
// and in eval mode, a linear map with fixed ReLU masks: conv1 → BN1 (affine) → mask1 → conv2 → BN2 → + shortcut → mask2.
// A PURE seed lives in one output channel j, so:
//   d_sum = relu(y_j) (the seed already vanishes where the final ReLU is off), d_h2 = s2[j]·d_sum (BN2 scale),
//   d_r1  = conv2ᵀ restricted to output channel j (1/C of the dense transposed convolution),
//   d_h1  = d_r1 ⊙ [r1 > 0] ⊙ s1,
//   circuit[i] = Σ_q x[i,q]·(conv1ᵀ d_h1)[i,q] + shortcut term
//              = Σ_{t,p} col[i·kk + t, p] · G[i·kk + t, p],  G = W1ᵀ·d_h1, col = im2col of x for conv1
// All the neurons of one input share col and one GEMM for G (their d_h1 side by side), so each (neuron, input) pair
// costs one single-channel transposed conv2 (a small GEMM over a gathered column), its share of G and C_lower·kk short
// dot products, instead of a dense backward through the whole network.

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
        return new State(x, r1, y);
    }

    /// <summary>Raw (unnormalised) relevance Σ_q x·∂(Σ_p relu(y_j)·y_j)/∂x per input channel, for row <paramref name="row"/>
    /// and each neuron j of <paramref name="neurons"/>.</summary>
    /// <remarks>The conv1 term Σ_q x[i,q]·(conv1ᵀ d_h1)[i,q] equals Σ_{t,p} col[i·kk + t, p]·G[i·kk + t, p] with col the
    /// im2col of the row's input and G = W1ᵀ·d_h1 ([C_in·kk, P]·[P, H'·W']): one GEMM for all the row's neurons
    /// (their d_h1 side by side) and C_in·kk short dot products per neuron.</remarks>
    public double[][] Relevance(State state, int row, IReadOnlyList<int> neurons)
    {
        BasicBlock b = _block;
        Conv2d c1 = b.Conv1;
        int p = c1.OutChannels, ci = c1.InChannels, kk = c1.Kernel * c1.Kernel, m = neurons.Count;
        int ho = state.Y.Dim(2), wo = state.Y.Dim(3), po = ho * wo;
        int hi = state.X.Dim(2), wi = state.X.Dim(3), pi = hi * wi;
        ReadOnlySpan<float> x = state.X.Data.Slice(row * ci * pi, ci * pi);
        ReadOnlySpan<float> r1 = state.R1.Data.Slice(row * p * po, p * po);

        // d_h1 of every neuron, side by side: dh1[o, r·po + q].
        var dh1 = new float[p * m * po];
        var one = new float[p * po];
        var dh2 = new float[po];
        int k2 = b.Conv2.Kernel;
        for (int r = 0; r < m; r++)
        {
            int j = neurons[r];
            TensorPrimitives.Multiply(state.Y.Data.Slice((row * p + j) * po, po), _scale2[j], dh2);   // d_sum = relu(y_j); BN2 scale
            Array.Clear(one);
            TransposeOne(b.Conv2.W.Value.Data.Slice(j * p * k2 * k2, p * k2 * k2), dh2, p, k2, b.Conv2.Options, ho, wo, ho, wo, one);
            for (int c = 0; c < p; c++)
                for (int q = 0; q < po; q++)
                {
                    int at = c * po + q;
                    dh1[c * m * po + r * po + q] = r1[at] > 0f ? one[at] * _scale1[c] : 0f;   // ReLU1 mask, BN1 scale
                }
        }

        // G = W1ᵀ · d_h1: [C_in·kk, m·po].
        var grad = new float[ci * kk * m * po];
        Unravel.Tensors.Kernels.Gemm.Sgemm(c1.W.Value.Data, dh1, grad, ci * kk, m * po, p, transA: true);
        var col = new float[ci * kk * po];
        var g1 = new Unravel.Tensors.Kernels.Conv2dGeometry(1, ci, hi, wi, p, c1.Kernel, c1.Kernel, c1.Options.Stride.H, c1.Options.Stride.W,
            c1.Options.Padding.H, c1.Options.Padding.W, 1, 1, 1);
        Unravel.Tensors.Kernels.Conv2dKernels.Im2Col(x, col, g1);

        var result = new double[m][];
        for (int r = 0; r < m; r++)
        {
            int j = neurons[r];
            var raw = result[r] = new double[ci];
            for (int i = 0; i < ci; i++)
            {
                double sum = 0;
                for (int t = i * kk; t < (i + 1) * kk; t++)
                    sum += TensorPrimitives.Dot(col.AsSpan(t * po, po), grad.AsSpan(t * m * po + r * po, po));
                raw[i] = sum;
            }
            ReadOnlySpan<float> y = state.Y.Data.Slice((row * p + j) * po, po);
            if (b.Shortcut is { } s)
            {
                var dd = new float[po];
                TensorPrimitives.Multiply(y, _scaleShortcut[j], dd);
                var dx = new float[ci * pi];
                int ks = s.Conv.Kernel;
                TransposeOne(s.Conv.W.Value.Data.Slice(j * ci * ks * ks, ci * ks * ks), dd, ci, ks, s.Conv.Options, ho, wo, hi, wi, dx);
                for (int i = 0; i < ci; i++) raw[i] += TensorPrimitives.Dot(x.Slice(i * pi, pi), dx.AsSpan(i * pi, pi));
            }
            else raw[j] += TensorPrimitives.Dot(x.Slice(j * pi, pi), y);       // identity shortcut
        }
        return result;
    }

    /// <summary>din[c, iy, ix] += w[c, ky, kx]·dout[py, px] over the conv's geometry (one output channel).</summary>
    /// <remarks>A stride-1 conv whose output has its input's size (every 3×3 conv2 of a BasicBlock) takes a vector path:
    /// din[c, q] = Σ_t w[c, t]·col[t, q] with col[t, q] = dout[q − shift_t] where tap t reaches q, one small GEMM; else the
    /// scalar loops below.</remarks>
    private static void TransposeOne(ReadOnlySpan<float> w, ReadOnlySpan<float> dout, int channels, int k, Conv2dOptions o,
        int ho, int wo, int hi, int wi, Span<float> din)
    {
        if (o.Stride == (1, 1) && ho == hi && wo == wi)
        {
            int kk = k * k, po = ho * wo;
            float[] col = new float[kk * po];
            for (int t = 0; t < kk; t++)
            {
                int ky = t / k, kx = t % k;
                for (int iy = 0; iy < hi; iy++)
                {
                    int py = iy + o.Padding.H - ky;
                    if ((uint)py >= (uint)ho) continue;
                    for (int ix = 0; ix < wi; ix++)
                    {
                        int px = ix + o.Padding.W - kx;
                        if ((uint)px < (uint)wo) col[t * po + iy * wi + ix] = dout[py * wo + px];
                    }
                }
            }
            Unravel.Tensors.Kernels.Gemm.Sgemm(w[..(channels * kk)], col, din, channels, po, kk, beta: 1f);
            return;
        }
        TransposeOneScalar(w, dout, channels, k, o, ho, wo, hi, wi, din);
    }

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

    private static float[] Scale(BatchNorm2d bn)
    {
        var s = new float[bn.Channels];
        for (int c = 0; c < s.Length; c++) s[c] = bn.W.Value.Data[c] / MathF.Sqrt(bn.RunningVar.Value.Data[c] + bn.Eps);
        return s;
    }

    /// <summary>What the backward reads: the block input, ReLU1's output (positive exactly where its mask is on), the block
    /// output.</summary>
    internal sealed record State(Tensor X, Tensor R1, Tensor Y);
}
