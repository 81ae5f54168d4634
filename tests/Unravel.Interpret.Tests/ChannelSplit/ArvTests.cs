// The ARV of channel splitting (Hesse et al. 2025, arXiv 2504.12939) is gradient × input of the spatially summed
// channel through the conv. Checked against the tape's gradient for kernels, strides, padding, dilation and groups; the
// per-input contribution maps against the conv output; the ρ criterion against the split model's own hook point.

using Unravel.Interpret.ChannelSplit;
using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using Unravel.Testing;

namespace Unravel.Interpret.Tests.ChannelSplit;

public sealed class ArvTests
{
    [Theory]
    [InlineData(1, 1, 0, 1, 1)]
    [InlineData(3, 1, 1, 1, 1)]
    [InlineData(3, 2, 1, 1, 1)]
    [InlineData(5, 2, 2, 2, 1)]
    [InlineData(3, 1, 1, 1, 2)]
    [InlineData(3, 2, 0, 1, 4)]
    public void Arv_AnyGeometry_EqualsTapeGradientTimesInput(int kernel, int stride, int padding, int dilation, int groups)
    {
        const int cin = 8, cout = 4, n = 3, side = 9;
        var conv = new Conv2d(WeightSource.Initialize(kernel * 10 + groups).At("c"), cin, cout, kernel, stride, padding, dilation, groups);
        var rng = new Random(3);
        var x = Tensor.Zeros(n, cin, side, side);
        for (int i = 0; i < x.Length; i++) x.Data[i] = rng.NextSingle() - 0.3f;
        for (int c = 0; c < cout; c++)
        {
            using var tape = new Tape();
            Tensor xt = tape.Watch(x.Clone());
            Tensor y = conv.Forward(xt);
            var seed = Tensor.Zeros(y.Shape.ToArray());
            int hw = y.Dim(2) * y.Dim(3);
            for (int i = 0; i < n; i++) seed.Data.Slice((i * cout + c) * hw, hw).Fill(1f);
            Tensor g = tape.Backward(y, seed)[xt]!;
            var expected = new float[cin];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < cin; j++)
                    for (int p = 0; p < side * side; p++)
                    {
                        int idx = (i * cin + j) * side * side + p;
                        expected[j] += x.Data[idx] * g.Data[idx] / n;
                    }

            var sums = new double[cin * kernel * kernel];
            for (int i = 0; i < n; i++) ConvTaps.AddTapSums(x, i, conv, y.Dim(2), y.Dim(3), sums);
            float[] means = sums.Select(v => (float)(v / n)).ToArray();
            float[] arv = ChannelSplitFinder.Arv(conv, c, means);
            TensorAssert.Close(expected, arv, 1e-5f, 1e-4f, $"ARV channel {c}");

            // Contributions: Σ_j u_j + b_c is the conv output channel c.
            int cg = cin / groups;
            var u = new float[cg * hw];
            for (int i = 0; i < n; i++)
            {
                ConvTaps.Contributions(x, i, conv, conv.W.Value.Data, c, y.Dim(2), y.Dim(3), u);
                var sum = new float[hw];
                for (int j = 0; j < cg; j++)
                    for (int p = 0; p < hw; p++) sum[p] += u[j * hw + p];
                for (int p = 0; p < hw; p++) sum[p] += conv.B!.Value.Data[c];
                TensorAssert.Close(y.Data.Slice((i * cout + c) * hw, hw), sum, 1e-5f, 1e-4f, $"contributions channel {c} image {i}");
            }
        }
    }

    [Theory]
    [InlineData("small-resnet", "layer2.0.conv2")]
    [InlineData("resnext", "layer3.0.conv1")]
    public void ConvProbe_CutBackward_GivesTheFullTapesGradientAtTheLayer(string kind, string layer)
    {
        (RootModule model, _, Tensor images) = SurgeryTests.Make(kind, seed: 4);
        var conv = (Conv2d)model.Modules().Single(m => m.Path == layer);
        int[] labels = [0, 3, 1];
        (Tensor logits, Tensor x, Tensor a, Tensor? g) = ConvProbe.Run(model, conv, images, labels);

        using var tape = new Tape();
        Tensor input = tape.Watch(images.Clone());
        Tensor? a2 = null;
        Tensor full;
        using (model.Hooks.Add(layer, (_, t) => { a2 = t; }))
            full = SurgeryTests.Forward(model, input);
        var seed = Tensor.Zeros(full.Shape.ToArray());
        for (int i = 0; i < labels.Length; i++) seed.Data[i * full.Dim(1) + labels[i]] = 1f;
        Tensor expected = tape.Backward(full, seed)[a2!]!;
        TensorAssert.Close(full, logits, 0, 0, "logits");
        TensorAssert.Close(a2!, a, 0, 0, "conv output");
        TensorAssert.Close(expected, g!, 1e-6f, 1e-5f, $"{kind} {layer}: ∂y/∂a");
        Assert.Equal(conv.InChannels, x.Dim(1));
    }

    [Fact]
    public void RhoCriterion_EqualsRatiosReadFromTheSplitModelsHookPoint()
    {
        (RootModule model, Func<WeightSource, RootModule> create, Tensor images) = SurgeryTests.Make("small-cnn-nobn", seed: 9);
        const string layer = "layer2.0.conv1";
        const int channel = 3;
        var rng = new Random(5);
        float[] arv1 = Enumerable.Range(0, 4).Select(_ => rng.NextSingle() - 0.2f).ToArray();
        float[] arv2 = Enumerable.Range(0, 4).Select(_ => rng.NextSingle() - 0.2f).ToArray();
        var batch = new LabelledBatch(images, [1, 2, 1]);
        double[] grid = [0.3, 0.7, 1.0];
        RhoSelection sel = RhoSelector.Choose(model, layer, channel, 1, 2, arv1, arv2, [batch], grid);
        Assert.Equal((2, 1), (sel.Images1, sel.Images2));

        for (int r = 0; r < grid.Length; r++)
        {
            RootModule edited = ChannelSurgery.Split(model, create, layer, channel, SplitMask.Partition(arv1, arv2, grid[r]));
            Tensor e = edited.RunWithCache(() => SurgeryTests.Forward(edited, images), layer + ".hook_split")[layer + ".hook_split"];
            int o = e.Dim(1) - 2, hw = e.Dim(2) * e.Dim(3);
            double Pos(int i, int c) => e.Data.Slice((i * (o + 2) + c) * hw, hw).ToArray().Where(v => v > 0).Sum(v => (double)v);
            double q1 = (Pos(0, channel) / (Pos(0, o) + 1e-5) + Pos(2, channel) / (Pos(2, o) + 1e-5)) / 2;
            double q2 = Pos(1, o) / (Pos(1, channel) + 1e-5);
            Assert.Equal(q1, sel.Q1[r], 4);
            Assert.Equal(q2, sel.Q2[r], 4);
            double rom1 = (Pos(0, channel) + Pos(2, channel)) / (Pos(0, o) + Pos(2, o) + 1e-5);
            Assert.Equal(rom1, sel.Q1RatioOfMeans[r], 4);
        }
        int best = Enumerable.Range(0, grid.Length).MaxBy(r => sel.Q1[r] + sel.Q2[r]);
        Assert.Equal(grid[best], sel.Rho);
    }
}
