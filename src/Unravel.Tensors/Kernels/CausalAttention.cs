// Fused causal multi-head self-attention over GPT-2's packed c_attn output, forward and backward, in the llm.c
// attention_forward/backward style but on GEMMs: for each (batch, head), S = Q·Kᵀ/√D, P = causal softmax(S),
// Y = P·V. Q, K and V are read in place from qkv through leading dimensions (no head split copies), and Y is
// written straight into the merged [B, T, C] layout. The backward recomputes P from the saved per-row
// log-sum-exp instead of keeping the [B, H, T, T] probabilities (memory grows with T, not T²).
// Reference: Vaswani et al. 2017 (https://arxiv.org/abs/1706.03762); nanoGPT CausalSelfAttention.

using System.Numerics.Tensors;

namespace Unravel.Tensors.Kernels;

/// <summary>Causal softmax attention with qkv packed as [B, T, 3C] (q | k | v, each split into H heads of D = C/H).</summary>
public static class CausalAttention
{
    /// <summary>Attention forward for all (batch, head) pairs.</summary>
    /// <param name="qkv">[B, T, 3C] packed queries, keys and values.</param>
    /// <param name="y">[B, T, C] output, heads merged (head h fills columns h·D .. h·D + D).</param>
    /// <param name="lse">[B, H, T] log Σ_j≤t exp(S[t, j]) per query row, for <see cref="Backward"/>.</param>
    /// <param name="probs">[B, H, T, T] attention probabilities (zero above the diagonal), or empty to not store them.</param>
    /// <param name="batch">B.</param>
    /// <param name="seq">T.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">D = C / H.</param>
    /// <remarks>Effectively computes y[b, t, h·D + d] = Σ_{j≤t} P[b, h, t, j] · v[b, j, h, d] with
    /// P[b, h, t, :] = softmax_{j≤t}(q[b, t, h, :] · k[b, j, h, :] / √D). Parallel over (batch, head).</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent.</exception>
    public static unsafe void Forward(ReadOnlySpan<float> qkv, Span<float> y, Span<float> lse, Span<float> probs,
        int batch, int seq, int heads, int headDim)
    {
        const string Op = "CausalAttention.Forward";
        (int c, int bh) = Check(Op, batch, seq, heads, headDim);
        Need(Op, nameof(qkv), qkv.Length, (long)batch * seq * 3 * c);
        Need(Op, nameof(y), y.Length, (long)batch * seq * c);
        Need(Op, nameof(lse), lse.Length, (long)bh * seq);
        if (!probs.IsEmpty) Need(Op, nameof(probs), probs.Length, (long)bh * seq * seq);
        if (bh == 0 || seq == 0) return;
        bool keepProbs = !probs.IsEmpty;
        int qkvLen = batch * seq * 3 * c, yLen = batch * seq * c;
        float scale = 1f / MathF.Sqrt(headDim);
        fixed (float* pqkv0 = qkv, py0 = y, plse0 = lse, pp0 = probs)
        {
            float* pqkv = pqkv0, py = py0, plse = plse0, pp = pp0;
            Parallelism.For(bh, 1, (start, end) =>
            {
                float[]? scratch = keepProbs ? null : new float[seq * seq];
                var all = new ReadOnlySpan<float>(pqkv, qkvLen);
                var yAll = new Span<float>(py, yLen);
                for (int i = start; i < end; i++)
                {
                    int b = i / heads, h = i % heads;
                    Span<float> p = keepProbs ? new Span<float>(pp + (long)i * seq * seq, seq * seq) : scratch;
                    int qOff = b * seq * 3 * c + h * headDim;
                    ReadOnlySpan<float> q = all[qOff..], k = all[(qOff + c)..], v = all[(qOff + 2 * c)..];
                    Gemm.Sgemm(q, k, p, seq, seq, headDim, transB: true, alpha: scale, lda: 3 * c, ldb: 3 * c, ldc: seq);
                    var rowLse = new Span<float>(plse + (long)i * seq, seq);
                    for (int t = 0; t < seq; t++)
                    {
                        Span<float> row = p.Slice(t * seq, t + 1);
                        float max = TensorPrimitives.Max(row);
                        TensorPrimitives.Subtract(row, max, row);
                        TensorPrimitives.Exp(row, row);
                        float sum = TensorPrimitives.Sum(row);
                        TensorPrimitives.Divide(row, sum, row);
                        rowLse[t] = max + MathF.Log(sum);
                        p.Slice(t * seq + t + 1, seq - t - 1).Clear();
                    }
                    Gemm.Sgemm(p, v, yAll[(b * seq * c + h * headDim)..], seq, headDim, seq, ldb: 3 * c, ldc: c);
                }
            });
        }
    }

    /// <summary>Attention backward; accumulates into <paramref name="dqkv"/> (the caller zeroes it).</summary>
    /// <param name="dy">[B, T, C] gradient of the merged output.</param>
    /// <param name="qkv">[B, T, 3C] the forward input.</param>
    /// <param name="lse">[B, H, T] as written by <see cref="Forward"/>.</param>
    /// <param name="dqkv">[B, T, 3C] gradient of qkv.</param>
    /// <param name="batch">B.</param>
    /// <param name="seq">T.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">D = C / H.</param>
    /// <remarks>Effectively computes, per (batch, head), with P recomputed as exp(S - lse) on and below the diagonal:
    /// dP = dY·Vᵀ, dV += Pᵀ·dY, dS = P ⊙ (dP - rowsum(dP ⊙ P)), dQ += dS·K/√D, dK += dSᵀ·Q/√D.</remarks>
    /// <exception cref="ArgumentException">A span is shorter than its declared extent, or dqkv overlaps an input.</exception>
    public static unsafe void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> qkv, ReadOnlySpan<float> lse, Span<float> dqkv,
        int batch, int seq, int heads, int headDim)
    {
        const string Op = "CausalAttention.Backward";
        (int c, int bh) = Check(Op, batch, seq, heads, headDim);
        Need(Op, nameof(dy), dy.Length, (long)batch * seq * c);
        Need(Op, nameof(qkv), qkv.Length, (long)batch * seq * 3 * c);
        Need(Op, nameof(lse), lse.Length, (long)bh * seq);
        Need(Op, nameof(dqkv), dqkv.Length, (long)batch * seq * 3 * c);
        if (dqkv.Overlaps(qkv) || dqkv.Overlaps(dy))
            throw new ArgumentException($"{Op}: dqkv must not overlap the inputs.", nameof(dqkv));
        if (bh == 0 || seq == 0) return;
        int qkvLen = batch * seq * 3 * c, yLen = batch * seq * c;
        float scale = 1f / MathF.Sqrt(headDim);
        fixed (float* pdy0 = dy, pqkv0 = qkv, plse0 = lse, pdqkv0 = dqkv)
        {
            float* pdy = pdy0, pqkv = pqkv0, plse = plse0, pdqkv = pdqkv0;
            Parallelism.For(bh, 1, (start, end) =>
            {
                var p = new float[seq * seq];
                var ds = new float[seq * seq];
                var all = new ReadOnlySpan<float>(pqkv, qkvLen);
                var dAll = new Span<float>(pdqkv, qkvLen);
                var dyAll = new ReadOnlySpan<float>(pdy, yLen);
                for (int i = start; i < end; i++)
                {
                    int b = i / heads, h = i % heads;
                    int qOff = b * seq * 3 * c + h * headDim;
                    ReadOnlySpan<float> q = all[qOff..], k = all[(qOff + c)..], v = all[(qOff + 2 * c)..];
                    ReadOnlySpan<float> dOut = dyAll[(b * seq * c + h * headDim)..];
                    var rowLse = new ReadOnlySpan<float>(plse + (long)i * seq, seq);

                    Gemm.Sgemm(q, k, p, seq, seq, headDim, transB: true, alpha: scale, lda: 3 * c, ldb: 3 * c, ldc: seq);
                    for (int t = 0; t < seq; t++)
                    {
                        Span<float> row = p.AsSpan(t * seq, t + 1);
                        TensorPrimitives.Subtract(row, rowLse[t], row);
                        TensorPrimitives.Exp(row, row);
                        p.AsSpan(t * seq + t + 1, seq - t - 1).Clear();
                    }

                    Gemm.Sgemm(dOut, v, ds, seq, seq, headDim, transB: true, lda: c, ldb: 3 * c, ldc: seq);      // dP
                    Gemm.Sgemm(p, dOut, dAll[(qOff + 2 * c)..], seq, headDim, seq, transA: true, beta: 1f,
                        lda: seq, ldb: c, ldc: 3 * c);                                                             // dV += Pᵀ·dY
                    for (int t = 0; t < seq; t++)
                    {
                        // Entries above the diagonal must be exactly zero: the GEMMs below run over full rows.
                        Span<float> dRow = ds.AsSpan(t * seq, t + 1);
                        ReadOnlySpan<float> pRow = p.AsSpan(t * seq, t + 1);
                        float dot = TensorPrimitives.Dot(dRow, pRow);
                        TensorPrimitives.Subtract(dRow, dot, dRow);
                        TensorPrimitives.Multiply(dRow, pRow, dRow);
                        ds.AsSpan(t * seq + t + 1, seq - t - 1).Clear();
                    }
                    Gemm.Sgemm(ds, k, dAll[qOff..], seq, headDim, seq, alpha: scale, beta: 1f,
                        lda: seq, ldb: 3 * c, ldc: 3 * c);                                                         // dQ += dS·K/√D
                    Gemm.Sgemm(ds, q, dAll[(qOff + c)..], seq, headDim, seq, transA: true, alpha: scale, beta: 1f,
                        lda: seq, ldb: 3 * c, ldc: 3 * c);                                                         // dK += dSᵀ·Q/√D
                }
            });
        }
    }

    private static (int C, int BH) Check(string op, int batch, int seq, int heads, int headDim)
    {
        if (batch < 0 || seq < 0 || heads < 1 || headDim < 1)
            throw new ArgumentException($"{op}: invalid extent batch {batch}, seq {seq}, heads {heads}, headDim {headDim}.");
        long c = (long)heads * headDim;
        if (c * 3 * batch * seq > int.MaxValue || (long)seq * seq > int.MaxValue || (long)batch * heads * seq > int.MaxValue)
            throw new ArgumentException($"{op}: extent batch {batch}, seq {seq}, heads {heads}, headDim {headDim} is too large.");
        return ((int)c, batch * heads);
    }

    private static void Need(string op, string name, int length, long needed)
    {
        if (length < needed)
            throw new ArgumentException($"{op}: {name} holds {length} values but the extent needs {needed}.", name);
    }
}
