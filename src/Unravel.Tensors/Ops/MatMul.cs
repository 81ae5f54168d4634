// Matrix product with torch.matmul semantics: [M, K]·[K, N], and batched [..., M, K]·[..., K, N] with the batch
// dimensions broadcast. 1-D operands get a unit dimension that is removed again (vector·matrix, matrix·vector, dot).
// Backward: dA = dY·Bᵀ and dB = Aᵀ·dY per batch, summed over broadcast batch dimensions; transposes are GEMM flags.
// Reference: https://pytorch.org/docs/stable/generated/torch.matmul.html

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Matrix product with torch.matmul semantics.</summary>
    /// <remarks>Effectively computes y[..., i, j] = Σ_p a[..., i, p] · b[..., p, j], broadcasting the leading (batch)
    /// dimensions. A 1-D <paramref name="a"/> [K] is treated as [1, K] and a 1-D <paramref name="b"/> [K] as [K, 1];
    /// the added dimension is removed from the result (two 1-D operands give a scalar). When b is 2-D the whole
    /// batch runs as one GEMM.</remarks>
    /// <exception cref="ArgumentException">An operand is a scalar, the inner dimensions differ, or the batch dimensions
    /// do not broadcast; the message names both shapes.</exception>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        using KernelTimer timer = KernelTimer.Begin("matmul", a, b);
        if (a.Rank == 0 || b.Rank == 0)
            throw new ArgumentException($"matmul: both operands need at least 1 dimension, got {a.ShapeString} and {b.ShapeString}.");
        if (a.Rank >= 2 && b.Rank >= 2) return MatMulBatched(a, b, "matmul");

        Tensor a2 = a.Rank == 1 ? a.Reshape(1, a.Dim(0)) : a;
        Tensor b2 = b.Rank == 1 ? b.Reshape(b.Dim(0), 1) : b;
        if (a2.Dim(-1) != b2.Dim(-2))
            throw MatMulInnerMismatch("matmul", a, b);
        Tensor y = MatMulBatched(a2, b2, "matmul");
        var shape = new List<int>(y.Shape.ToArray());
        if (b.Rank == 1) shape.RemoveAt(shape.Count - 1);                       // the N = 1 column
        if (a.Rank == 1) shape.RemoveAt(shape.Count - (b.Rank == 1 ? 1 : 2));   // the M = 1 row
        return y.Reshape([.. shape]);
    }

    /// <summary>Shared implementation of <see cref="MatMul"/> and <see cref="BatchedMatMul"/> for operands of rank ≥ 2.</summary>
    private static Tensor MatMulBatched(Tensor a, Tensor b, string op)
    {
        if (a.Dim(-1) != b.Dim(-2)) throw MatMulInnerMismatch(op, a, b);
        var plan = new MatMulPlan(a.Shape, b.Shape, op);
        Tensor y = Tensor.Zeros(plan.OutShape);
        int m = plan.M, n = plan.N, k = plan.K;
        if (m > 0 && n > 0 && k > 0)
        {
            Tensor aa = a, bb = b;
            if (plan.BFlat)
            {
                // b has no batch dimensions: the batch folds into the rows of one [batch·M, K]·[K, N] GEMM.
                Gemm.Sgemm(aa.Data, bb.Data, y.Data, plan.Batch * m, n, k);
            }
            else
            {
                Parallelism.For(plan.Batch, 1, (start, end) =>
                {
                    for (int o = start; o < end; o++)
                        Gemm.Sgemm(aa.Data[(plan.AIndex[o] * m * k)..], bb.Data[(plan.BIndex[o] * k * n)..],
                            y.Data.Slice(o * m * n, m * n), m, n, k);
                });
            }
        }
        Tape.Of(a, b)?.Record(op, y, [a, b], MatMulBackward, plan);
        return y;
    }

    private static void MatMulBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor a = node.Inputs[0], b = node.Inputs[1];
        var plan = (MatMulPlan)node.State!;
        int m = plan.M, n = plan.N, k = plan.K;
        if (m == 0 || n == 0 || k == 0) return;
        if (grads.Wants(a))
        {
            Tensor da = grads.For(a);
            if (plan.BFlat)
                Gemm.Sgemm(dy.Data, b.Data, da.Data, plan.Batch * m, k, n, transB: true, beta: 1f);    // dA += dY·Bᵀ
            else
                MatMulAccumulateGrouped(plan.AIndex, plan.ABatch, (o, g) =>
                    Gemm.Sgemm(dy.Data.Slice(o * m * n, m * n), b.Data[(plan.BIndex[o] * k * n)..], da.Data.Slice(g * m * k, m * k),
                        m, k, n, transB: true, beta: 1f));
        }
        if (grads.Wants(b))
        {
            Tensor db = grads.For(b);
            if (plan.BFlat)
                Gemm.Sgemm(a.Data, dy.Data, db.Data, k, n, plan.Batch * m, transA: true, beta: 1f);    // dB += Aᵀ·dY
            else
                MatMulAccumulateGrouped(plan.BIndex, plan.BBatch, (o, g) =>
                    Gemm.Sgemm(a.Data[(plan.AIndex[o] * m * k)..], dy.Data.Slice(o * m * n, m * n), db.Data.Slice(g * k * n, k * n),
                        k, n, m, transA: true, beta: 1f));
        }
    }

    /// <summary>Runs <paramref name="step"/>(outputBatch, inputBatch) for every output batch, parallel over input
    /// batches; the output batches that broadcast onto the same input batch run in order on one thread, so their
    /// sums are race-free and deterministic.</summary>
    private static void MatMulAccumulateGrouped(int[] index, int groups, Action<int, int> step)
    {
        var members = new List<int>[groups];
        for (int g = 0; g < groups; g++) members[g] = [];
        for (int o = 0; o < index.Length; o++) members[index[o]].Add(o);
        Parallelism.For(groups, 1, (start, end) =>
        {
            for (int g = start; g < end; g++)
                foreach (int o in members[g]) step(o, g);
        });
    }

    private static ArgumentException MatMulInnerMismatch(string op, Tensor a, Tensor b) =>
        new($"{op}: inner dimensions differ: a {a.ShapeString} has {a.Dim(-1)} columns but b {b.ShapeString} has {(b.Rank == 1 ? b.Dim(0) : b.Dim(-2))} rows.");

    /// <summary>Shape rule and batch mapping of a matmul: output shape, M/N/K, and which batch of a and b feeds each
    /// output batch (row-major over the broadcast batch shape).</summary>
    private sealed class MatMulPlan
    {
        public MatMulPlan(ReadOnlySpan<int> aShape, ReadOnlySpan<int> bShape, string op)
        {
            M = aShape[^2];
            K = aShape[^1];
            N = bShape[^1];
            ReadOnlySpan<int> aBatch = aShape[..^2], bBatch = bShape[..^2];
            int[] outBatch;
            try { outBatch = ShapeRules.Broadcast(aBatch, bBatch, op); }
            catch (ArgumentException)
            {
                throw new ArgumentException(
                    $"{op}: batch dimensions of a {ShapeRules.Format(aShape)} and b {ShapeRules.Format(bShape)} do not broadcast.");
            }
            OutShape = [.. outBatch, M, N];
            Batch = ShapeRules.Count(outBatch);
            ABatch = ShapeRules.Count(aBatch);
            BBatch = ShapeRules.Count(bBatch);
            BFlat = bBatch.Length == 0;
            AIndex = new int[Batch];
            BIndex = new int[Batch];
            int[] sa = Broadcasting.StridesAgainst(aBatch, outBatch), sb = Broadcasting.StridesAgainst(bBatch, outBatch);
            for (int o = 0; o < Batch; o++)
            {
                int rest = o, ia = 0, ib = 0;
                for (int d = outBatch.Length - 1; d >= 0; d--)
                {
                    int i = rest % outBatch[d];
                    rest /= outBatch[d];
                    ia += i * sa[d];
                    ib += i * sb[d];
                }
                AIndex[o] = ia;
                BIndex[o] = ib;
            }
        }

        public int M { get; }
        public int N { get; }
        public int K { get; }
        public int[] OutShape { get; }
        public int Batch { get; }
        public int ABatch { get; }
        public int BBatch { get; }

        /// <summary>b is a plain matrix, so the batch folds into GEMM rows.</summary>
        public bool BFlat { get; }

        public int[] AIndex { get; }
        public int[] BIndex { get; }
    }
}
