// Direct (scalar) convolution geometry for one output channel: which input value each kernel tap reads at each output
// position, with stride, zero padding, dilation and groups as in PyTorch's Conv2d. Used for the ARV of channel splitting
// (gradient × input of Σ_hw conv(x)_c, Hesse et al. 2025, arXiv 2504.12939) and for per-input-channel
// contributions to the split rows.

using Unravel.Nn.Layers;
using Unravel.Tensors;

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Per-tap input sums and per-input-channel contribution maps of a convolution.</summary>
internal static class ConvTaps
{
    /// <summary>Adds Σ over output positions of x[n, i, ih, iw] for each (i, kh, kw) to <paramref name="dst"/> [C_in·K·K],
    /// where (ih, iw) is the input position tap (kh, kw) reads (padding reads zero).</summary>
    /// <remarks>With z_c = Σ_{oh,ow} conv(x)_c, Σ_{h,w} x_i·∂z_c/∂x_i = Σ_taps W[c, i, tap]·this sum: gradient × input of the
    /// summed channel, for any kernel, stride, padding, dilation and groups.</remarks>
    public static void AddTapSums(Tensor x, int n, Conv2d conv, int outH, int outW, Span<double> dst)
    {
        int c = x.Dim(1), h = x.Dim(2), w = x.Dim(3), k = conv.Kernel;
        (int sh, int sw) = conv.Options.Stride;
        (int ph, int pw) = conv.Options.Padding;
        (int dh, int dw) = conv.Options.Dilation;
        ReadOnlySpan<float> xd = x.Data.Slice(n * c * h * w, c * h * w);
        for (int i = 0; i < c; i++)
        {
            ReadOnlySpan<float> plane = xd.Slice(i * h * w, h * w);
            for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++)
                {
                    double s = 0;
                    for (int oh = 0; oh < outH; oh++)
                    {
                        int ih = oh * sh - ph + kh * dh;
                        if ((uint)ih >= (uint)h) continue;
                        for (int ow = 0; ow < outW; ow++)
                        {
                            int iw = ow * sw - pw + kw * dw;
                            if ((uint)iw < (uint)w) s += plane[ih * w + iw];
                        }
                    }
                    dst[(i * k + kh) * k + kw] += s;
                }
        }
    }

    /// <summary>u[j, oh, ow] = Σ_taps W[channel, j, tap]·x[n, firstIn + j, tap position]: the contribution of each input
    /// channel j of the output channel's group to that output channel (bias excluded).</summary>
    /// <param name="weight">The layer's weight [O, C/g, K, K].</param>
    /// <param name="u">[C/g, OH·OW], overwritten.</param>
    public static void Contributions(Tensor x, int n, Conv2d conv, ReadOnlySpan<float> weight, int channel, int outH, int outW, Span<float> u)
    {
        int c = x.Dim(1), h = x.Dim(2), w = x.Dim(3), k = conv.Kernel, groups = conv.Options.Groups;
        int cg = c / groups, og = conv.OutChannels / groups, firstIn = channel / og * cg;
        (int sh, int sw) = conv.Options.Stride;
        (int ph, int pw) = conv.Options.Padding;
        (int dh, int dw) = conv.Options.Dilation;
        ReadOnlySpan<float> xd = x.Data.Slice(n * c * h * w, c * h * w);
        u[..(cg * outH * outW)].Clear();
        for (int j = 0; j < cg; j++)
        {
            ReadOnlySpan<float> plane = xd.Slice((firstIn + j) * h * w, h * w);
            Span<float> uj = u.Slice(j * outH * outW, outH * outW);
            for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++)
                {
                    float wt = weight[((channel * cg + j) * k + kh) * k + kw];
                    if (wt == 0f) continue;
                    for (int oh = 0; oh < outH; oh++)
                    {
                        int ih = oh * sh - ph + kh * dh;
                        if ((uint)ih >= (uint)h) continue;
                        for (int ow = 0; ow < outW; ow++)
                        {
                            int iw = ow * sw - pw + kw * dw;
                            if ((uint)iw < (uint)w) uj[oh * outW + ow] += wt * plane[ih * w + iw];
                        }
                    }
                }
        }
    }
}
