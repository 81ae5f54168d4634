// Cross-entropy of logits against class indices, mean over non-ignored targets, with optional label smoothing
// (torch.nn.functional.cross_entropy, reduction='mean', no class weights). Works from a per-row log-sum-exp, so
// the [N, C] log-probabilities are never stored; the backward recomputes softmax from the logits.
// Per kept row r with target t and ε = labelSmoothing:
//   loss_r = (1 - ε)·(lse_r - x[r, t]) + ε/C · Σ_c (lse_r - x[r, c]),  loss = Σ_r loss_r / #kept
//   dx[r, c] = dy/#kept · (softmax(x_r)[c] - ε/C - (1 - ε)·[c = t])
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html

using System.Numerics.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Mean cross-entropy of <paramref name="logits"/> [N, C] against class indices <paramref name="targets"/> [N].</summary>
    /// <param name="logits">[N, C] unnormalised scores, or [B, T, V] language-model logits with classes last, which are
    /// flattened to [B·T, V] with targets in the same row-major [B, T] order. (This is nanoGPT's
    /// <c>cross_entropy(logits.view(-1, V), targets.view(-1))</c>; torch's own 3-D input is [N, C, d], classes second.)</param>
    /// <param name="targets">One class index per row, in [0, C), or <paramref name="ignoreIndex"/>.</param>
    /// <param name="ignoreIndex">Rows with this target contribute nothing and are not counted in the mean.</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target distribution is (1 - ε)·onehot + ε/C.</param>
    /// <returns>A scalar tensor; NaN when every target is ignored (0/0, as in PyTorch).</returns>
    /// <exception cref="ArgumentException">logits is not 2-D or 3-D, the target count differs from the row count, a
    /// target is out of range, or labelSmoothing is outside [0, 1].</exception>
    public static Tensor CrossEntropy(Tensor logits, int[] targets, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        if (logits.Rank is not (2 or 3))
            throw new ArgumentException($"cross_entropy: logits must be [N, C] or [B, T, V], got {logits.ShapeString}.", nameof(logits));
        int classes = logits.Dim(-1), rows = ShapeRules.Count(logits.Shape[..^1]);
        if (targets.Length != rows)
            throw new ArgumentException(
                $"cross_entropy: {targets.Length} targets for logits {logits.ShapeString} ({rows} rows).", nameof(targets));
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentException($"cross_entropy: labelSmoothing {labelSmoothing} is outside [0, 1].", nameof(labelSmoothing));
        int kept = 0;
        for (int r = 0; r < rows; r++)
        {
            int t = targets[r];
            if (t == ignoreIndex) continue;
            if ((uint)t >= (uint)classes)
                throw new ArgumentException(
                    $"cross_entropy: target {t} at position {r} is out of range for {classes} classes (logits {logits.ShapeString}).", nameof(targets));
            kept++;
        }

        int[] tg = (int[])targets.Clone();
        var lse = new float[rows];
        var rowLoss = new float[rows];
        float eps = labelSmoothing;
        Parallelism.For(rows, Math.Max(1, 8192 / Math.Max(1, classes)), (start, end) =>
        {
            var scratch = new float[Math.Clamp(classes, 1, 4096)];
            ReadOnlySpan<float> x = logits.Data;
            for (int r = start; r < end; r++)
            {
                if (tg[r] == ignoreIndex) continue;
                ReadOnlySpan<float> row = x.Slice(r * classes, classes);
                float l = CrossEntropyLogSumExp(row, scratch);
                lse[r] = l;
                float loss = (1f - eps) * (l - row[tg[r]]);
                if (eps != 0f) loss += eps / classes * (classes * l - TensorPrimitives.Sum(row));
                rowLoss[r] = loss;
            }
        });
        double total = 0;
        foreach (float v in rowLoss) total += v;
        Tensor y = Tensor.Scalar((float)(total / kept));
        Tape.Of(logits)?.Record("cross_entropy", y, [logits], CrossEntropyBackward,
            new CrossEntropyState(tg, ignoreIndex, eps, kept, lse));
        return y;
    }

    private static void CrossEntropyBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor logits = node.Inputs[0];
        var s = (CrossEntropyState)node.State!;
        if (!grads.Wants(logits) || s.Kept == 0) return;
        int classes = logits.Dim(-1);
        float g = dy.Data[0] / s.Kept, smooth = s.Smoothing / classes;
        Tensor dx = grads.For(logits);
        Parallelism.For(s.Targets.Length, Math.Max(1, 8192 / Math.Max(1, classes)), (start, end) =>
        {
            var scratch = new float[classes];
            ReadOnlySpan<float> x = logits.Data;
            Span<float> d = dx.Data;
            for (int r = start; r < end; r++)
            {
                int t = s.Targets[r];
                if (t == s.IgnoreIndex) continue;
                Span<float> dr = d.Slice(r * classes, classes);
                TensorPrimitives.Subtract(x.Slice(r * classes, classes), s.Lse[r], scratch);
                TensorPrimitives.Exp(scratch, scratch);                                 // softmax row
                if (smooth != 0f) TensorPrimitives.Add(scratch, -smooth, scratch);
                scratch[t] -= 1f - s.Smoothing;
                TensorPrimitives.MultiplyAdd(scratch, g, dr, dr);
            }
        });
    }

    /// <summary>log Σ exp(row), max-shifted; exp goes through <paramref name="scratch"/> in strips.</summary>
    private static float CrossEntropyLogSumExp(ReadOnlySpan<float> row, Span<float> scratch)
    {
        if (row.IsEmpty) return float.NegativeInfinity;
        // +Inf or NaN logits, or a row of only -Inf, give NaN through max - max: torch's log_softmax does the same.
        float max = TensorPrimitives.Max(row);
        float sum = 0f;
        for (int j = 0; j < row.Length; j += scratch.Length)
        {
            int w = Math.Min(scratch.Length, row.Length - j);
            TensorPrimitives.Subtract(row.Slice(j, w), max, scratch[..w]);
            TensorPrimitives.Exp(scratch[..w], scratch[..w]);
            sum += TensorPrimitives.Sum(scratch[..w]);
        }
        return max + MathF.Log(sum);
    }

    /// <summary>Targets (copied), the reduction count and per-row log-sum-exp saved by the forward.</summary>
    private sealed record CrossEntropyState(int[] Targets, int IgnoreIndex, float Smoothing, int Kept, float[] Lse);
}
