// Fused causal self-attention for GPT-2: takes c_attn's packed output qkv [B, T, 3C] and returns the merged heads
// [B, T, C] that feed c_proj. Equivalent to nanoGPT's
//   q, k, v = qkv.split(C, dim=2); q = q.view(B, T, H, D).transpose(1, 2)  (same for k, v)
//   att = (q @ k.transpose(-2, -1)) / sqrt(D); att = att.masked_fill(causal == 0, -inf); att = softmax(att, -1)
//   y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
// with the loops in Kernels/CausalAttention.cs. Letters: B batch, T sequence, C channels, H heads, D = C/H.
// Reference: https://github.com/karpathy/nanoGPT/blob/master/model.py (CausalSelfAttention)

using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Causal multi-head self-attention over packed qkv [B, T, 3C]; returns [B, T, C].</summary>
    /// <param name="qkv">[B, T, 3C]: queries, keys and values along the last dimension, each split into
    /// <paramref name="heads"/> heads of D = C / heads (GPT-2's c_attn output).</param>
    /// <param name="heads">Number of heads H.</param>
    /// <remarks>Effectively computes, per batch b and head h, y[b, t, h·D:(h+1)·D] = Σ_{j≤t} P[t, j] · v[b, j, h·D:(h+1)·D]
    /// with P[t, :] = softmax_{j≤t}(q_t · k_j / √D). The backward recomputes P, so only [B, H, T] statistics are kept.</remarks>
    /// <exception cref="ArgumentException">qkv is not [B, T, 3C] with C divisible by <paramref name="heads"/>.</exception>
    public static Tensor CausalSelfAttention(Tensor qkv, int heads) => CausalSelfAttentionCore(qkv, heads, keepProbs: false).Y;

    /// <summary>As <see cref="CausalSelfAttention(Tensor, int)"/>, also returning the attention probabilities.</summary>
    /// <param name="qkv">[B, T, 3C] packed queries, keys and values.</param>
    /// <param name="heads">Number of heads H.</param>
    /// <param name="attentionProbs">[B, H, T, T] softmax probabilities (zero above the diagonal); a plain, untracked
    /// tensor for inspection (gradients do not flow through it).</param>
    /// <exception cref="ArgumentException">qkv is not [B, T, 3C] with C divisible by <paramref name="heads"/>.</exception>
    public static Tensor CausalSelfAttention(Tensor qkv, int heads, out Tensor attentionProbs)
    {
        (Tensor y, Tensor? probs) = CausalSelfAttentionCore(qkv, heads, keepProbs: true);
        attentionProbs = probs!;
        return y;
    }

    private static (Tensor Y, Tensor? Probs) CausalSelfAttentionCore(Tensor qkv, int heads, bool keepProbs)
    {
        using KernelTimer timer = KernelTimer.Begin("attention", qkv);
        if (qkv.Rank != 3 || qkv.Dim(2) % 3 != 0 || heads < 1 || qkv.Dim(2) / 3 % heads != 0)
            throw new ArgumentException(
                $"causal_self_attention: qkv {qkv.ShapeString} must be [B, T, 3C] with C divisible by heads {heads}.", nameof(qkv));
        int b = qkv.Dim(0), t = qkv.Dim(1), c = qkv.Dim(2) / 3, d = c == 0 ? 0 : c / heads;
        Tensor y = d > 0 ? TensorStorage.Uninitialized(b, t, c) : Tensor.Zeros(b, t, c); // [B, T, C], written in full by the kernel
        Tensor? probs = keepProbs ? Tensor.Zeros(b, heads, t, t) : null;     // [B, H, T, T]
        var lse = new float[b * heads * t];                                  // [B, H, T]
        if (d > 0)
            Kernels.CausalAttention.Forward(qkv.Data, y.Data, lse, probs is null ? default : probs.Data, b, t, heads, d);
        Tape.Of(qkv)?.Record("causal_self_attention", y, [qkv], CausalSelfAttentionBackward,
            new CausalSelfAttentionState(heads, d, lse));
        return (y, probs);
    }

    private static void CausalSelfAttentionBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor qkv = node.Inputs[0];
        var s = (CausalSelfAttentionState)node.State!;
        if (!grads.Wants(qkv) || s.HeadDim == 0) return;
        Kernels.CausalAttention.Backward(dy.Data, qkv.Data, s.Lse, grads.For(qkv).Data,
            qkv.Dim(0), qkv.Dim(1), s.Heads, s.HeadDim);
    }

    /// <summary>Head layout and per-row log-sum-exp of the scaled scores, [B, H, T].</summary>
    private sealed record CausalSelfAttentionState(int Heads, int HeadDim, float[] Lse);
}
