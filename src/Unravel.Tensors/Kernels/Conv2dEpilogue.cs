// The per-output-channel epilogue of a convolution, fused for inference: y = act((acc + bias) · scale + shift + residual).
// With scale and shift from a batch norm's running statistics (scale = γ / √(var + ε), shift = β − mean · scale) this is
// conv → BatchNorm2d (eval) → (+ identity) → ReLU of a ResNet block in one pass. Every step is the same single-rounded
// float operation, in the same order, as the separate ops (bias add, BatchNorm2d's x·scale then + shift, Add, Relu), and
// no step is contracted into an FMA, so the fused result is bit-identical to the unfused chain.

using System.Numerics;

namespace Unravel.Tensors.Kernels;

/// <summary>Applies the fused inference epilogue of <see cref="Ops.Conv2dAffine"/> to rows of one output channel.</summary>
internal static unsafe class Conv2dEpilogue
{
    /// <summary>The epilogue's operands; a null pointer skips its step.</summary>
    /// <param name="bias">[O] conv bias.</param>
    /// <param name="scale">[O] multiplier (then shift is not null either).</param>
    /// <param name="shift">[O] offset.</param>
    /// <param name="residual">Same layout as y, added after the affine step.</param>
    /// <param name="relu">max(·, 0) last, NaN and −0 kept as Ops.Relu keeps them.</param>
    public readonly struct Pointers(float* bias, float* scale, float* shift, float* residual, bool relu)
    {
        public readonly float* Bias = bias, Scale = scale, Shift = shift, Residual = residual;
        public readonly bool Relu = relu;
    }

    /// <summary>dst[j] = epilogue(src[j]) for j &lt; count, channel <paramref name="channel"/>; the residual is read at
    /// <paramref name="offset"/> + j (dst's own offset in the output). src and dst may be the same.</summary>
    public static void Apply(float* src, float* dst, in Pointers e, int channel, nint offset, int count)
    {
        bool hasBias = e.Bias is not null, affine = e.Scale is not null, relu = e.Relu;
        float b = hasBias ? e.Bias[channel] : 0f, sc = affine ? e.Scale[channel] : 1f, sh = affine ? e.Shift[channel] : 0f;
        float* r = e.Residual is null ? null : e.Residual + offset;
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            Vector<float> vb = new(b), vsc = new(sc), vsh = new(sh);
            for (; j <= count - w; j += w)
            {
                Vector<float> v = Vector.Load(src + j);
                if (hasBias) v += vb;
                if (affine) v = v * vsc + vsh;
                if (r is not null) v += Vector.Load(r + j);
                if (relu) v = Vector.ConditionalSelect(Vector.LessThan(v, Vector<float>.Zero), Vector<float>.Zero, v);
                v.Store(dst + j);
            }
        }
        for (; j < count; j++)
        {
            float v = src[j];
            if (hasBias) v += b;
            if (affine) v = v * sc + sh;
            if (r is not null) v += r[j];
            if (relu && v < 0f) v = 0f;
            dst[j] = v;
        }
    }
}
