// Conv-channel neuron embeddings: Σe + b' equals the convolution's output at the key position (computed by the
// engine's Conv2d op), for strides, padding (patches on the border), dilation, groups and a folded batch norm.

using Unravel.Interpret.NeuronEmbeddings;
using Unravel.Tensors;

namespace Unravel.Interpret.Tests.NeuronEmbeddings;

public sealed class ConvNeuronEmbedderTests
{
    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(2, 1, 1, 1)]
    [InlineData(1, 2, 2, 1)]
    [InlineData(2, 1, 1, 2)]
    public void SumOfEmbeddingPlusBias_EqualsConvOutput(int stride, int padding, int dilation, int groups)
    {
        var rng = new Random(stride * 100 + padding * 10 + dilation + groups);
        const int n = 3, c = 4, h = 9, w = 8, o = 6, k = 3;
        Tensor input = Tensor.RandomNormal(rng, n, c, h, w);
        Tensor weight = Tensor.RandomNormal(rng, o, c / groups, k, k);
        Tensor bias = Tensor.RandomNormal(rng, o);
        var options = new Conv2dOptions { Stride = (stride, stride), Padding = (padding, padding), Dilation = (dilation, dilation), Groups = groups };
        Tensor output = Ops.Conv2d(input, weight, bias, options);               // [N, O, H', W']
        int hOut = output.Dim(2), wOut = output.Dim(3);
        const float scale = 0.7f, shift = -0.3f;
        for (int j = 0; j < o; j++)
        {
            var examples = new List<CharacteristicExample>();
            for (int s = 0; s < n; s++)
                foreach (int p in new[] { 0, hOut * wOut - 1, rng.Next(hOut * wOut) })
                    examples.Add(new CharacteristicExample(s, p, output[s, j, p / wOut, p % wOut]));
            NeuronEmbeddingSet set = ConvNeuronEmbedder.Embed(input, weight, bias, options, j, examples, scale, shift);
            Assert.Equal(c / groups * k * k, set.Width);
            for (int e = 0; e < examples.Count; e++)
            {
                double sum = set.Bias;
                for (int d = 0; d < set.Width; d++) sum += set.Embeddings[e * set.Width + d];
                double expected = examples[e].Activation * scale + shift;     // the batch norm applied to the conv output
                Assert.True(Math.Abs(sum - expected) < 1e-4, $"channel {j} example {e}: Σe + b' = {sum}, conv gives {expected}");
            }
        }
    }
}
