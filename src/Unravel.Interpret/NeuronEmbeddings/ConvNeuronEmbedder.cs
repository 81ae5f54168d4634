// Neuron embeddings for convolutional channels, an extension of A. Foote 2024 ("Tackling Polysemanticity with Neuron
// Embeddings", arXiv 2411.08166, §3.1 eq. 2) beyond MLPs: a channel at one output position computes
//   pre = Σ_{c,u,v} x[c, y·s − p + u·d, x·s − p + v·d] · W[j, c, u, v] + b_j,
// so with h = the receptive-field input patch (zeros where it falls on padding) and w = the channel's kernel,
// e = h ⊙ w has Σe + b = pre, exactly as for an MLP neuron. A batch norm after the convolution folds in as
// w ← w · γ/σ, b ← (b − μ) · γ/σ + β (pass scale = γ/σ and shift = β − μ · γ/σ). Letters: N batch, C input channels,
// H, W input size, O output channels, KH, KW kernel.

using Unravel.Tensors;

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Embeds a convolution channel's examples as (input patch) ⊙ (kernel).</summary>
public static class ConvNeuronEmbedder
{
    /// <summary>The embeddings of channel <paramref name="channel"/> at each example's sample and flat output position.</summary>
    /// <param name="input">The convolution's input [N, C, H, W]; example inputs index its first axis.</param>
    /// <param name="weight">[O, C/groups, KH, KW].</param>
    /// <param name="bias">[O] or null.</param>
    /// <param name="options">Stride, padding, dilation, groups of the convolution.</param>
    /// <param name="channel">j.</param>
    /// <param name="examples">Sample (Input) and flat output position (Position = y·W' + x).</param>
    /// <param name="scale">Folded batch-norm scale γ/σ of channel j (1 without).</param>
    /// <param name="shift">Folded batch-norm shift β − μ·γ/σ of channel j (0 without).</param>
    /// <returns>Rows of width C/groups·KH·KW in the kernel's (c, u, v) order: Embeddings = patch ⊙ w, PreMlp = the patch,
    /// Weights = w (scaled), Bias = b' and PreActivation = Σe + b' (computed in float64 from the patch).</returns>
    /// <exception cref="ArgumentException">Shapes, channel or positions out of range.</exception>
    public static NeuronEmbeddingSet Embed(Tensor input, Tensor weight, Tensor? bias, Conv2dOptions options, int channel,
        IReadOnlyList<CharacteristicExample> examples, float scale = 1f, float shift = 0f)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(examples);
        if (input.Rank != 4 || weight.Rank != 4)
            throw new ArgumentException($"conv embed: input {input.ShapeString} and weight {weight.ShapeString} must be [N, C, H, W] and [O, C/g, KH, KW].", nameof(input));
        int n = input.Dim(0), c = input.Dim(1), h = input.Dim(2), wIn = input.Dim(3);
        int o = weight.Dim(0), cg = weight.Dim(1), kh = weight.Dim(2), kw = weight.Dim(3), groups = options.Groups;
        if (cg * groups != c || o % groups != 0)
            throw new ArgumentException($"conv embed: weight {weight.ShapeString} with {groups} group(s) does not fit input {input.ShapeString}.", nameof(weight));
        if ((uint)channel >= (uint)o) throw new ArgumentException($"conv embed: channel {channel} is outside 0 … {o - 1}.", nameof(channel));
        (int sh, int sw) = options.Stride;
        (int ph, int pw) = options.Padding;
        (int dh, int dw) = options.Dilation;
        int hOut = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, wOut = (wIn + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        int firstChannel = channel / (o / groups) * cg;   // the input channels this output channel's group reads
        int width = cg * kh * kw;
        var wj = new float[width];
        weight.Data.Slice(channel * width, width).CopyTo(wj);
        for (int i = 0; i < width; i++) wj[i] *= scale;
        float b = (bias is null ? 0f : bias.Data[channel]) * scale + shift;
        var rows = new float[examples.Count * width];
        var patches = new float[examples.Count * width];
        var pre = new float[examples.Count];
        ReadOnlySpan<float> x = input.Data;
        for (int k = 0; k < examples.Count; k++)
        {
            CharacteristicExample ex = examples[k];
            if ((ulong)ex.Input >= (ulong)n || (uint)ex.Position >= (uint)(hOut * wOut))
                throw new ArgumentException($"conv embed: example {k} (sample {ex.Input}, position {ex.Position}) is outside [{n}, {hOut}×{wOut}].", nameof(examples));
            int y0 = ex.Position / wOut * sh - ph, x0 = ex.Position % wOut * sw - pw;
            double sum = b;
            for (int ci = 0; ci < cg; ci++)
                for (int u = 0; u < kh; u++)
                    for (int v = 0; v < kw; v++)
                    {
                        int yy = y0 + u * dh, xx = x0 + v * dw, i = (ci * kh + u) * kw + v;
                        float p = yy >= 0 && yy < h && xx >= 0 && xx < wIn ? x[(((int)ex.Input * c + firstChannel + ci) * h + yy) * wIn + xx] : 0f;
                        patches[k * width + i] = p;
                        rows[k * width + i] = p * wj[i];
                        sum += rows[k * width + i];
                    }
            pre[k] = (float)sum;
        }
        return new NeuronEmbeddingSet(channel, [.. examples], rows, patches, wj, b, pre);
    }
}
