// Per-channel batch-norm kernels over NCHW data ([N, C, HW] with HW = H·W), single-threaded over a channel range;
// the op parallelises over channels. Each channel's sums run over n then hw in a fixed order, in double, so results
// do not depend on the thread count. Reference: Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167.

using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Unravel.Tensors.Kernels;

/// <summary>Span kernels of <see cref="Ops.BatchNorm2d"/>.</summary>
public static class BatchNorm2dKernels
{
    /// <summary>Per-channel mean and biased variance of channels [<paramref name="cStart"/>, <paramref name="cEnd"/>).</summary>
    /// <param name="x">[N, C, HW].</param>
    /// <param name="mean">[C]; written for the channel range.</param>
    /// <param name="variance">[C], biased (divides by N·HW); written for the channel range.</param>
    /// <param name="n">Batch size N.</param>
    /// <param name="c">Channels C.</param>
    /// <param name="hw">Plane size H·W.</param>
    /// <param name="cStart">First channel.</param>
    /// <param name="cEnd">One past the last channel.</param>
    /// <remarks>Two passes (mean, then Σ(x − mean)²) in double, as PyTorch's CPU kernel, to avoid cancellation.</remarks>
    public static void Statistics(ReadOnlySpan<float> x, Span<float> mean, Span<float> variance, int n, int c, int hw, int cStart, int cEnd)
    {
        double count = (double)n * hw;
        for (int ch = cStart; ch < cEnd; ch++)
        {
            double sum = 0;
            for (int b = 0; b < n; b++)
            {
                ReadOnlySpan<float> plane = x.Slice((b * c + ch) * hw, hw);
                for (int i = 0; i < plane.Length; i++) sum += plane[i];
            }
            double m = sum / count, sq = 0;
            for (int b = 0; b < n; b++)
            {
                ReadOnlySpan<float> plane = x.Slice((b * c + ch) * hw, hw);
                for (int i = 0; i < plane.Length; i++)
                {
                    double d = plane[i] - m;
                    sq += d * d;
                }
            }
            mean[ch] = (float)m;
            variance[ch] = (float)(sq / count);
        }
    }

    /// <summary>y[n, c, i] = x[n, c, i] · scale[c] + shift[c] for channels [<paramref name="cStart"/>, <paramref name="cEnd"/>).</summary>
    /// <param name="x">[N, C, HW].</param>
    /// <param name="scale">[C]: weight · rstd.</param>
    /// <param name="shift">[C]: bias − mean · weight · rstd.</param>
    /// <param name="y">[N, C, HW], overwritten for the channel range.</param>
    /// <param name="n">Batch size N.</param>
    /// <param name="c">Channels C.</param>
    /// <param name="hw">Plane size H·W.</param>
    /// <param name="cStart">First channel.</param>
    /// <param name="cEnd">One past the last channel.</param>
    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> y,
        int n, int c, int hw, int cStart, int cEnd)
    {
        for (int b = 0; b < n; b++)
            for (int ch = cStart; ch < cEnd; ch++)
            {
                int offset = (b * c + ch) * hw;
                ScaleShift(x.Slice(offset, hw), scale[ch], shift[ch], y.Slice(offset, hw));
            }
    }

    /// <summary>y[i] = x[i] · s + t in one pass, rounded after the multiply and after the add (never an FMA), so it equals
    /// a multiply pass followed by an add pass.</summary>
    private static void ScaleShift(ReadOnlySpan<float> x, float s, float t, Span<float> y)
    {
        int i = 0, n = x.Length;
        if (Vector.IsHardwareAccelerated)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            Vector<float> vs = new(s), vt = new(t);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                (Vector.LoadUnsafe(ref xr, (nuint)i) * vs + vt).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++) y[i] = x[i] * s + t;
    }

    /// <summary>Gradients of y = (x − mean) · rstd · weight + bias for channels [<paramref name="cStart"/>, <paramref name="cEnd"/>). Accumulates.</summary>
    /// <param name="dy">[N, C, HW].</param>
    /// <param name="x">[N, C, HW].</param>
    /// <param name="mean">[C], the mean used in the forward.</param>
    /// <param name="rstd">[C], 1 / √(var + eps) used in the forward.</param>
    /// <param name="weight">[C].</param>
    /// <param name="dx">[N, C, HW], accumulated into; empty when not wanted.</param>
    /// <param name="dWeight">[C], accumulated into; empty when not wanted.</param>
    /// <param name="dBias">[C], accumulated into; empty when not wanted.</param>
    /// <param name="n">Batch size N.</param>
    /// <param name="c">Channels C.</param>
    /// <param name="hw">Plane size H·W.</param>
    /// <param name="batchStatistics">True when mean and rstd came from this batch (training), so dx flows through them too.</param>
    /// <param name="cStart">First channel.</param>
    /// <param name="cEnd">One past the last channel.</param>
    /// <remarks>With x̂ = (x − mean)·rstd and M = N·HW: dBias += Σdy, dWeight += Σdy·x̂, and dx += weight·rstd·dy with
    /// fixed statistics, or dx += weight·rstd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M) through the batch statistics. With fixed
    /// statistics and neither parameter gradient wanted, the sums are skipped and dx += (weight·rstd)·dy is one vector pass.</remarks>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> weight, Span<float> dx, Span<float> dWeight, Span<float> dBias, int n, int c, int hw,
        bool batchStatistics, int cStart, int cEnd)
    {
        double count = (double)n * hw;
        // With fixed statistics and no parameter gradients (eval-mode input gradients) dx is a per-channel scale of dy.
        bool sums = batchStatistics || !dWeight.IsEmpty || !dBias.IsEmpty;
        for (int ch = cStart; ch < cEnd; ch++)
        {
            float m = mean[ch], r = rstd[ch];
            if (!sums)
            {
                if (dx.IsEmpty) continue;
                float scale = weight[ch] * r;
                for (int b = 0; b < n; b++)
                {
                    int offset = (b * c + ch) * hw;
                    Span<float> dxp = dx.Slice(offset, hw);
                    TensorPrimitives.MultiplyAdd(dy.Slice(offset, hw), scale, dxp, dxp);
                }
                continue;
            }
            double sumDy = 0, sumDyXhat = 0;
            for (int b = 0; b < n; b++)
            {
                int offset = (b * c + ch) * hw;
                ReadOnlySpan<float> dyp = dy.Slice(offset, hw), xp = x.Slice(offset, hw);
                for (int i = 0; i < hw; i++)
                {
                    sumDy += dyp[i];
                    sumDyXhat += (double)dyp[i] * ((xp[i] - m) * r);
                }
            }
            if (!dBias.IsEmpty) dBias[ch] += (float)sumDy;
            if (!dWeight.IsEmpty) dWeight[ch] += (float)sumDyXhat;
            if (dx.IsEmpty) continue;

            float k = weight[ch] * r;
            float meanDy = batchStatistics ? (float)(sumDy / count) : 0f;
            float meanDyXhat = batchStatistics ? (float)(sumDyXhat / count) : 0f;
            for (int b = 0; b < n; b++)
            {
                int offset = (b * c + ch) * hw;
                ReadOnlySpan<float> dyp = dy.Slice(offset, hw), xp = x.Slice(offset, hw);
                Span<float> dxp = dx.Slice(offset, hw);
                for (int i = 0; i < hw; i++)
                    dxp[i] += k * (dyp[i] - meanDy - (xp[i] - m) * r * meanDyXhat);
            }
        }
    }
}
