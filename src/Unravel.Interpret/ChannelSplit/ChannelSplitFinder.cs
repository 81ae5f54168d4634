// Finds γ-polysemantic channels of a convolution (Hesse, Fischer, Schaub-Meyer, Roth 2025, "Disentangling Polysemantic
// Channels in Convolutional Neural Networks", arXiv 2504.12939) in one streaming pass over labelled images:
//  1. channel relevance to the label logit y_t: R_c(x) = Σ_hw a_c·∂y_t/∂a_c (gradient × activation of the conv output);
//  2. c is important for x when R_c ≥ τ·Σ_c' max(R_c', 0) (clamp after the spatial sum); relevant to class t when important
//     for ≥ p·N_t images of t; candidates are relevant to ≥ 2 classes;
//  3. ARV(c, t) = mean over the images of t of Σ_hw x_i·∂(Σ_hw a_c)/∂x_i (gradient × input through the conv);
//  4. a pair of relevant classes is γ-polysemantic when γ_low ≤ cos(ARV(c, t1), ARV(c, t2)) < γ.
// The pass keeps only per-class counts and sums: the important counts, the relevance sums, and for the ARVs the per-class
// sums of the input each kernel tap reads (the ARV is linear in them, so no per-channel pass is needed).

using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;

namespace Unravel.Interpret.ChannelSplit;

/// <summary>The search for γ-polysemantic channels.</summary>
public static class ChannelSplitFinder
{
    /// <summary>Streams <paramref name="batches"/> once and tests every channel of <paramref name="layer"/>.</summary>
    /// <param name="model">An image classifier in eval mode; not modified.</param>
    /// <param name="layer">Path of a Conv2d, e.g. "layer3.0.conv2".</param>
    /// <param name="batches">Labelled training images (all are used; whether the model predicts them right is not).</param>
    /// <param name="options">τ, p, γ; defaults when null.</param>
    /// <param name="progress">Images processed so far.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="UnravelException">The layer is not a convolution, a label is out of range, or an option is invalid.</exception>
    public static ChannelSplitFindResult Find(RootModule model, string layer, IEnumerable<LabelledBatch> batches,
        ChannelSplitFindOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        Find(model, layer, batches, (0, int.MaxValue), options, progress, cancellationToken);

    /// <summary>Streams <paramref name="batches"/> once and tests the channels in <paramref name="channels"/> only: the
    /// per-class counts, relevance and tap means cover every channel (a channel's importance is relative to all of them),
    /// the candidates, ARVs and cosines only [Start, End). Slices that partition the channels give, concatenated in
    /// channel order, exactly the candidates, ARVs and cosines of the whole search.</summary>
    /// <param name="model">An image classifier in eval mode; not modified.</param>
    /// <param name="layer">Path of a Conv2d, e.g. "layer3.0.conv2".</param>
    /// <param name="batches">Labelled training images.</param>
    /// <param name="channels">Half-open range of output channels to test (clamped to the layer).</param>
    /// <param name="options">τ, p, γ; defaults when null.</param>
    /// <param name="progress">Images processed so far.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="UnravelException">The layer is not a convolution, a label is out of range, or an option is invalid.</exception>
    public static ChannelSplitFindResult Find(RootModule model, string layer, IEnumerable<LabelledBatch> batches, (int Start, int End) channels,
        ChannelSplitFindOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentOutOfRangeException.ThrowIfNegative(channels.Start);
        options ??= new ChannelSplitFindOptions();
        options.Validate();
        Conv2d conv = ConvProbe.Resolve(model, layer);
        int classes = ConvProbe.Classifier(model).Classes;
        int cOut = conv.OutChannels, cIn = conv.InChannels, taps = cIn * conv.Kernel * conv.Kernel;

        var imagesPerClass = new int[classes];
        var counts = new int[classes][];
        var relevanceSums = new double[classes][];
        var tapSums = new double[classes][];
        for (int t = 0; t < classes; t++)
        {
            counts[t] = new int[cOut];
            relevanceSums[t] = new double[cOut];
            tapSums[t] = new double[taps];
        }

        var r = new double[cOut];
        int done = 0;
        foreach (LabelledBatch batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (_, Tensor x, Tensor a, Tensor? g) = ConvProbe.Run(model, conv, batch.Images, batch.Labels);
            int n = a.Dim(0), hw = a.Dim(2) * a.Dim(3);
            ReadOnlySpan<float> ad = a.Data, gd = g!.Data;
            for (int i = 0; i < n; i++)
            {
                int t = batch.Labels[i];
                double positive = 0;
                for (int c = 0; c < cOut; c++)
                {
                    int o = (i * cOut + c) * hw;
                    double s = 0;
                    for (int p = 0; p < hw; p++) s += (double)ad[o + p] * gd[o + p];
                    r[c] = s;
                    positive += Math.Max(s, 0);
                }
                for (int c = 0; c < cOut; c++)
                {
                    if (r[c] >= options.Tau * positive) counts[t][c]++;
                    relevanceSums[t][c] += r[c];
                }
                imagesPerClass[t]++;
                ConvTaps.AddTapSums(x, i, conv, a.Dim(2), a.Dim(3), tapSums[t]);
            }
            done += n;
            progress?.Report(done);
        }
        if (done == 0) throw new AnalysisException("channel split: no images to search over.");

        float[][] tapMeans = new float[classes][];
        double[][] meanRelevance = new double[classes][];
        for (int t = 0; t < classes; t++)
        {
            double inv = imagesPerClass[t] > 0 ? 1.0 / imagesPerClass[t] : 0;
            tapMeans[t] = tapSums[t].Select(v => (float)(v * inv)).ToArray();
            meanRelevance[t] = relevanceSums[t].Select(v => v * inv).ToArray();
        }

        var candidates = new List<SplitCandidate>();
        var arvs = new List<ClassArv>();
        var cosines = new List<ArvCosine>();
        for (int c = channels.Start; c < Math.Min(cOut, channels.End); c++)
        {
            int[] relevant = Enumerable.Range(0, classes)
                .Where(t => imagesPerClass[t] > 0 && counts[t][c] >= options.P * imagesPerClass[t]).ToArray();
            if (relevant.Length < 2) continue;
            candidates.Add(new SplitCandidate(c, relevant));
            var byClass = relevant.ToDictionary(t => t, t => Arv(conv, c, tapMeans[t]));
            arvs.AddRange(relevant.Select(t => new ClassArv(c, t, byClass[t])));
            for (int i = 0; i < relevant.Length; i++)
                for (int j = i + 1; j < relevant.Length; j++)
                {
                    double cos = Cosine(byClass[relevant[i]], byClass[relevant[j]]);
                    cosines.Add(new ArvCosine(c, relevant[i], relevant[j], cos, cos >= options.GammaLow && cos < options.Gamma));
                }
        }
        return new ChannelSplitFindResult(layer, cOut, cIn, options, imagesPerClass, counts, meanRelevance, tapMeans,
            candidates, arvs, cosines);
    }

    /// <summary>ARV(c, t) from a class's input tap means: ARV[i] = Σ_taps W[c, i, tap]·tapMeans[i, tap] for the input
    /// channels i of c's group, 0 elsewhere.</summary>
    /// <param name="conv">The layer.</param>
    /// <param name="channel">Output channel c.</param>
    /// <param name="tapMeans">[C_in·K·K], one class's row of <see cref="ChannelSplitFindResult.InputTapMeans"/>.</param>
    /// <returns>[C_in].</returns>
    public static float[] Arv(Conv2d conv, int channel, ReadOnlySpan<float> tapMeans)
    {
        ArgumentNullException.ThrowIfNull(conv);
        int kk = conv.Kernel * conv.Kernel, groups = conv.Options.Groups;
        int cg = conv.InChannels / groups, og = conv.OutChannels / groups, firstIn = channel / og * cg;
        ReadOnlySpan<float> w = conv.W.Value.Data;
        var arv = new float[conv.InChannels];
        for (int j = 0; j < cg; j++)
        {
            double s = 0;
            for (int k = 0; k < kk; k++) s += (double)w[(channel * cg + j) * kk + k] * tapMeans[(firstIn + j) * kk + k];
            arv[firstIn + j] = (float)s;
        }
        return arv;
    }

    /// <summary>cos(u, v); 0 when either is zero.</summary>
    public static double Cosine(ReadOnlySpan<float> u, ReadOnlySpan<float> v)
    {
        double uv = 0, uu = 0, vv = 0;
        for (int i = 0; i < u.Length; i++)
        {
            uv += (double)u[i] * v[i];
            uu += (double)u[i] * u[i];
            vv += (double)v[i] * v[i];
        }
        return uu > 0 && vv > 0 ? uv / Math.Sqrt(uu * vv) : 0;
    }
}
