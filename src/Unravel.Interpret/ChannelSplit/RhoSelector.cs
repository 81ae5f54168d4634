// Chooses ρ for a channel split on training images (Hesse et al. 2025, arXiv 2504.12939); see RhoSelection.
// One forward pass over the images of the two classes: per image the contribution map of every input channel to the
// split channel is computed once, and each ρ's concept rows are sums of those maps plus the bias.

using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;

namespace Unravel.Interpret.ChannelSplit;

/// <summary>The ρ search.</summary>
public static class RhoSelector
{
    private const double Eps = 1e-5;

    /// <summary>Evaluates every ρ of <paramref name="grid"/> (the paper's 0.05 … 1.00 when null) on the images of
    /// <paramref name="class1"/> and <paramref name="class2"/> in <paramref name="batches"/> (others are skipped).</summary>
    /// <exception cref="UnravelException">The layer, channel or classes are invalid, or a class has no images.</exception>
    public static RhoSelection Choose(RootModule model, string layer, int channel, int class1, int class2,
        float[] arv1, float[] arv2, IEnumerable<LabelledBatch> batches, IReadOnlyList<double>? grid = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        Conv2d conv = ConvProbe.Resolve(model, layer);
        ValidatePair(model, conv, channel, class1, class2);
        double[] rhos = (grid ?? SplitMask.RhoGrid).ToArray();
        byte[][] masks = rhos.Select(r => SplitMask.Partition(arv1, arv2, r)).ToArray();
        int groups = conv.Options.Groups, cg = conv.InChannels / groups, firstIn = channel / (conv.OutChannels / groups) * cg;
        float bias = conv.B?.Value.Data[channel] ?? 0f;
        ReadOnlySpan<float> weight = conv.W.Value.Data;

        int g = rhos.Length;
        double[] q1 = new double[g], q2 = new double[g], p11 = new double[g], p12 = new double[g], p21 = new double[g], p22 = new double[g];
        int n1 = 0, n2 = 0;
        float[] u = [], d1 = [], d2 = [];
        foreach (LabelledBatch batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int[] keep = Enumerable.Range(0, batch.Labels.Length).Where(i => batch.Labels[i] == class1 || batch.Labels[i] == class2).ToArray();
            if (keep.Length == 0) continue;
            (_, Tensor x, Tensor a, _) = ConvProbe.Run(model, conv, Select(batch.Images, keep), null);
            int oh = a.Dim(2), ow = a.Dim(3), hw = oh * ow;
            if (u.Length != cg * hw) (u, d1, d2) = (new float[cg * hw], new float[hw], new float[hw]);
            for (int k = 0; k < keep.Length; k++)
            {
                ConvTaps.Contributions(x, k, conv, weight, channel, oh, ow, u);
                bool first = batch.Labels[keep[k]] == class1;
                for (int r = 0; r < g; r++)
                {
                    Array.Fill(d1, bias);
                    Array.Fill(d2, bias);
                    for (int j = 0; j < cg; j++)
                    {
                        byte m = masks[r][firstIn + j];
                        ReadOnlySpan<float> uj = u.AsSpan(j * hw, hw);
                        if (m != SplitMask.Concept2) System.Numerics.Tensors.TensorPrimitives.Add(d1, uj, d1);
                        if (m != SplitMask.Concept1) System.Numerics.Tensors.TensorPrimitives.Add(d2, uj, d2);
                    }
                    double pos1 = PositiveSum(d1), pos2 = PositiveSum(d2);
                    if (first)
                    {
                        q1[r] += pos1 / (pos2 + Eps);
                        p11[r] += pos1;
                        p12[r] += pos2;
                    }
                    else
                    {
                        q2[r] += pos2 / (pos1 + Eps);
                        p21[r] += pos1;
                        p22[r] += pos2;
                    }
                }
                if (first) n1++;
                else n2++;
            }
        }
        if (n1 == 0 || n2 == 0)
            throw new AnalysisException($"channel split: the training images hold {n1} of class {class1} and {n2} of class {class2}; both need some.", "pick two classes that both occur among the training images");
        for (int r = 0; r < g; r++)
        {
            q1[r] /= n1;
            q2[r] /= n2;
        }
        double[] rom1 = Enumerable.Range(0, g).Select(r => p11[r] / (p12[r] + Eps)).ToArray();
        double[] rom2 = Enumerable.Range(0, g).Select(r => p22[r] / (p21[r] + Eps)).ToArray();
        return new RhoSelection(rhos, q1, q2, rom1, rom2, rhos[ArgMax(q1, q2)], rhos[ArgMax(rom1, rom2)], n1, n2);
    }

    internal static void ValidatePair(RootModule model, Conv2d conv, int channel, int class1, int class2)
    {
        int classes = ConvProbe.Classifier(model).Classes;
        if ((uint)channel >= (uint)conv.OutChannels)
            throw new AnalysisException($"channel split: channel {channel} is out of range for '{conv.Path}' ({conv.OutChannels} channels).");
        if ((uint)class1 >= (uint)classes || (uint)class2 >= (uint)classes || class1 == class2)
            throw new AnalysisException($"channel split: classes {class1}, {class2} must be two different classes in 0..{classes - 1}.");
    }

    internal static Tensor Select(Tensor images, int[] rows)
    {
        if (rows.Length == images.Dim(0)) return images;
        int per = images.Length / images.Dim(0);
        int[] shape = images.Shape.ToArray();
        shape[0] = rows.Length;
        var t = Tensor.Zeros(shape);
        for (int i = 0; i < rows.Length; i++) images.Data.Slice(rows[i] * per, per).CopyTo(t.Data.Slice(i * per, per));
        return t;
    }

    private static double PositiveSum(ReadOnlySpan<float> d)
    {
        double s = 0;
        foreach (float v in d) if (v > 0) s += v;
        return s;
    }

    private static int ArgMax(double[] a, double[] b)
    {
        int best = 0;
        for (int i = 1; i < a.Length; i++)
            if (a[i] + b[i] > a[best] + b[best]) best = i;
        return best;
    }
}
