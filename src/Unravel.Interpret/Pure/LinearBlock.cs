// PURE circuits through one BasicBlock with a hand-written backward (spec /work/shared/methods/pure-lrp-crp.md §1.7).
// When the analysed layer is the output of a single BasicBlock fed by the lower layer, the block is, for a fixed input
// and in eval mode, a linear map with fixed ReLU masks: conv1 → BN1 (affine) → mask1 → conv2 → BN2 → + shortcut → mask2.
// A PURE seed lives in one output channel j, so:
//   d_sum = relu(y_j) (the seed already vanishes where the final ReLU is off), d_h2 = s2[j]·d_sum (BN2 scale),
//   d_r1  = conv2ᵀ restricted to output channel j (1/C of the dense transposed convolution),
//   d_h1  = d_r1 ⊙ [r1 > 0] ⊙ s1,
//   circuit[i] = Σ_q x[i,q]·(conv1ᵀ d_h1)[i,q] + shortcut term
//              = Σ_{o,p} d_h1[o,p] · U[i,o,p],  U[i,o,p] = Σ_k W1[o,i,k]·x[i, p·s+k−pad]
// U (conv1 split by input channel, as costly as conv1 itself: one GEMM per input channel over a one-channel im2col) is
// computed once per input, so each
// (neuron, input) pair costs one single-channel transposed conv2 and C_lower dot products instead of a dense backward.

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
    private readonly Tensor _split; // [C_in, P, k·k]: conv1's kernels regrouped by input channel

    private LinearBlock(BasicBlock block)
    {
        _block = block;
        _scale1 = Scale(block.Bn1!);
        _scale2 = Scale(block.Bn2!);
        _scaleShortcut = block.Shortcut is { Bn: { } bn } ? Scale(bn) : [];
        Conv2d c1 = block.Conv1;
        int p = c1.OutChannels, ci = c1.InChannels, kk = c1.Kernel * c1.Kernel;
        _split = Tensor.Zeros(ci, p, kk);
        ReadOnlySpan<float> w = c1.W.Value.Data;
        for (int i = 0; i < ci; i++)
            for (int o = 0; o < p; o++)
                w.Slice((o * ci + i) * kk, kk).CopyTo(_split.Data.Slice((i * p + o) * kk, kk));
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

    /// <summary>U for one input row: [C_in, P, H'·W'] (conv1 split by input channel; one small batched GEMM, kept in cache
    /// while that row's pairs read it).</summary>
    public Tensor Split(State state, int row)
    {
        int len = state.X.Length / state.X.Dim(0);
        Tensor x = Tensor.FromArray(state.X.Data.Slice(row * len, len).ToArray(), 1, state.X.Dim(1), state.X.Dim(2), state.X.Dim(3)); // [1, C_in, H, W]
        return Ops.MatMul(_split, Patches(x, _block.Conv1, state.R1.Dim(2), state.R1.Dim(3)));
    }

    /// <summary>One-channel im2col: [C_in, k·k, N·H'·W'], zero where the kernel reaches the padding.</summary>
    private static Tensor Patches(Tensor x, Conv2d conv, int ho, int wo)
    {
        int n = x.Dim(0), ci = x.Dim(1), hi = x.Dim(2), wi = x.Dim(3), k = conv.Kernel, po = ho * wo, m = n * po;
        (int sh, int sw) = conv.Options.Stride;
        (int ph, int pw) = conv.Options.Padding;
        Tensor patches = Tensor.Zeros(ci, k * k, m);
        ReadOnlySpan<float> xs = x.Data;
        Span<float> dst = patches.Data;
        for (int i = 0; i < ci; i++)
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                {
                    Span<float> row = dst.Slice(((i * k + ky) * k + kx) * m, m);
                    for (int b = 0; b < n; b++)
                    {
                        ReadOnlySpan<float> plane = xs.Slice((b * ci + i) * hi * wi, hi * wi);
                        for (int py = 0; py < ho; py++)
                        {
                            int iy = py * sh - ph + ky;
                            if ((uint)iy >= (uint)hi) continue;
                            for (int px = 0; px < wo; px++)
                            {
                                int ix = px * sw - pw + kx;
                                if ((uint)ix < (uint)wi) row[b * po + py * wo + px] = plane[iy * wi + ix];
                            }
                        }
                    }
                }
        return patches;
    }

    /// <summary>Raw (unnormalised) relevance Σ_q x·∂(Σ_p relu(y_j)·y_j)/∂x per input channel, for row <paramref name="row"/>.</summary>
    public double[] Relevance(State state, int row, int neuron, Tensor split)
    {
        BasicBlock b = _block;
        int p = b.Conv1.OutChannels, ci = b.Conv1.InChannels;
        int ho = state.Y.Dim(2), wo = state.Y.Dim(3), po = ho * wo;
        int hi = state.X.Dim(2), wi = state.X.Dim(3), pi = hi * wi;
        ReadOnlySpan<float> y = state.Y.Data.Slice((row * p + neuron) * po, po);
        var dh2 = new float[po];
        TensorPrimitives.Multiply(y, _scale2[neuron], dh2);                          // d_sum = relu(y_j); BN2 scale

        // conv2ᵀ for output channel j only, then the ReLU1 mask and the BN1 scale.
        var dh1 = new float[p * po];
        int k2 = b.Conv2.Kernel;
        TransposeOne(b.Conv2.W.Value.Data.Slice(neuron * p * k2 * k2, p * k2 * k2), dh2, p, k2, b.Conv2.Options, ho, wo, ho, wo, dh1);
        ReadOnlySpan<float> r1 = state.R1.Data.Slice(row * p * po, p * po);
        for (int c = 0; c < p; c++)
            for (int q = 0; q < po; q++)
            {
                int at = c * po + q;
                dh1[at] = r1[at] > 0f ? dh1[at] * _scale1[c] : 0f;
            }

        var raw = new double[ci];
        ReadOnlySpan<float> u = split.Data;
        for (int i = 0; i < ci; i++) raw[i] = TensorPrimitives.Dot(u.Slice(i * p * po, p * po), dh1);

        ReadOnlySpan<float> x = state.X.Data.Slice(row * ci * pi, ci * pi);
        if (b.Shortcut is { } s)
        {
            var dd = new float[po];
            TensorPrimitives.Multiply(y, _scaleShortcut[neuron], dd);
            var dx = new float[ci * pi];
            int ks = s.Conv.Kernel;
            TransposeOne(s.Conv.W.Value.Data.Slice(neuron * ci * ks * ks, ci * ks * ks), dd, ci, ks, s.Conv.Options, ho, wo, hi, wi, dx);
            for (int i = 0; i < ci; i++) raw[i] += TensorPrimitives.Dot(x.Slice(i * pi, pi), dx.AsSpan(i * pi, pi));
        }
        else raw[neuron] += TensorPrimitives.Dot(x.Slice(neuron * pi, pi), y);       // identity shortcut
        return raw;
    }

    /// <summary>din[c, iy, ix] += w[c, ky, kx]·dout[py, px] over the conv's geometry (one output channel).</summary>
    private static void TransposeOne(ReadOnlySpan<float> w, ReadOnlySpan<float> dout, int channels, int k, Conv2dOptions o,
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
