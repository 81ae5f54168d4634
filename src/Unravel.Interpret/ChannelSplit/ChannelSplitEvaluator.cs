// Evaluates a channel split on held-out images (Hesse et al. 2025, arXiv 2504.12939); see ChannelSplitEvaluation.
// A comes from the original model's convolution output, D1, D2, R from the split model's hook point
// "<layer>.hook_split" (channels c, O, O+1), so the identity check compares two independent computations.

using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Held-out evaluation of a split.</summary>
public static class ChannelSplitEvaluator
{
    /// <summary>Runs both models over <paramref name="heldOut"/>.</summary>
    /// <param name="original">The unsplit model.</param>
    /// <param name="edited">The split model of <see cref="ChannelSurgery.Split"/>.</param>
    /// <param name="layer">The split layer.</param>
    /// <param name="channel">The split channel.</param>
    /// <param name="class1">Concept-1 class t1.</param>
    /// <param name="class2">Concept-2 class t2.</param>
    /// <param name="heldOut">Held-out labelled images (every image enters the logit comparison).</param>
    /// <param name="tau">Relevance share an image's original channel needs to be kept (0.03 in the paper).</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="UnravelException">The edited model has no split at the layer, or the arguments are out of range.</exception>
    public static ChannelSplitEvaluation Evaluate(RootModule original, RootModule edited, string layer, int channel, int class1,
        int class2, IEnumerable<LabelledBatch> heldOut, double tau = 0.03, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(edited);
        ArgumentNullException.ThrowIfNull(heldOut);
        Conv2d conv = ConvProbe.Resolve(original, layer);
        RhoSelector.ValidatePair(original, conv, channel, class1, class2);
        if (edited.Modules().FirstOrDefault(m => m.Path == layer) is not SplitConv2d split || split.Channel != channel)
            throw new AnalysisException($"channel split: the edited model has no split of channel {channel} at '{layer}'.");
        int o = conv.OutChannels;
        string hook = layer + "." + SplitConv2d.HookPoint;

        var images = new List<SplitEvaluationImage>();
        double maxDiff = 0, maxLogit = 0;
        int evaluated = 0;
        foreach (LabelledBatch batch in heldOut)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (Tensor logits, _, Tensor a, Tensor? g) = ConvProbe.Run(original, conv, batch.Images, batch.Labels);
            Tensor e = null!;
            Tensor editedLogits;
            using (edited.Hooks.Add(hook, (_, t) => { e = t; }))
                editedLogits = ConvProbe.Classifier(edited).Forward(batch.Images);
            ReadOnlySpan<float> l0 = logits.Data, l1 = editedLogits.Data;
            for (int i = 0; i < l0.Length; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs((double)l0[i] - l1[i]));
                maxLogit = Math.Max(maxLogit, Math.Abs((double)l0[i]));
            }
            int n = a.Dim(0), hw = a.Dim(2) * a.Dim(3);
            evaluated += n;
            ReadOnlySpan<float> ad = a.Data, gd = g!.Data, ed = e.Data;
            for (int i = 0; i < n; i++)
            {
                int t = batch.Labels[i];
                if (t != class1 && t != class2) continue;
                double total = 0, own = 0;
                for (int c = 0; c < o; c++)
                {
                    double s = 0;
                    int off = (i * o + c) * hw;
                    for (int p = 0; p < hw; p++) s += Math.Max(0.0, (double)ad[off + p] * gd[off + p]);
                    total += s;
                    if (c == channel) own = s;
                }
                double rel = total > 0 ? own / total : 0;
                double aSum = Sum(ad.Slice((i * o + channel) * hw, hw));
                int rows = o + SplitConv2d.ExtraChannels;
                double d1 = Sum(ed.Slice((i * rows + channel) * hw, hw));
                double d2 = Sum(ed.Slice((i * rows + o) * hw, hw));
                double r = Sum(ed.Slice((i * rows + o + 1) * hw, hw));
                images.Add(new SplitEvaluationImage(batch.FirstIndex + i, t, rel, rel >= tau && aSum != 0, aSum, d1, d2, r));
            }
        }

        double identity = images.Where(im => im.Kept).Select(im => Math.Abs(im.D1OverA + im.D2OverA - im.ROverA - 1)).DefaultIfEmpty(0).Max();
        SplitClassSummary Summary(int cls)
        {
            List<SplitEvaluationImage> all = images.Where(im => im.Label == cls).ToList();
            List<SplitEvaluationImage> kept = all.Where(im => im.Kept).ToList();
            double Mean(Func<SplitEvaluationImage, double> f) => kept.Count > 0 ? kept.Average(f) : double.NaN;
            return new SplitClassSummary(cls, all.Count, kept.Count, Mean(im => im.D1OverA), Mean(im => im.D2OverA), Mean(im => im.ROverA));
        }
        return new ChannelSplitEvaluation(layer, channel, class1, class2, tau, evaluated, maxDiff, maxLogit, identity,
            [Summary(class1), Summary(class2)], images);
    }

    private static double Sum(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v) s += x;
        return s;
    }
}
