// PURE circuits against (1) a slow reference written here: one full forward and one full backward per (neuron, input)
// of the objective ½ Σ_p relu(A^l_{j,p})² (whose gradient at A^l is exactly the ReLU'd seed), and (2) PyTorch
// (tools/fixtures/pure.py: torchvision ResNet at width 4, seeded weights, one autograd call per pair).

using System.Text.Json;
using Unravel.Interpret.Collection;
using Unravel.Interpret.Pure;
using Unravel.Models;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using Unravel.Testing;

namespace Unravel.Interpret.Tests.Pure;

public sealed class CircuitsTests
{
    internal static RootModule SmallResNet()
    {
        RootModule model = ModelRegistry.Get("small-resnet").Create(WeightSource.Initialize(3));
        model.Eval();
        return model;
    }

    internal static ImageDataset Images(int n, int seed = 4) =>
        new(Tensor.RandomUniform(new Random(seed), 0f, 1f, n, 1, 28, 28), null, "uniform noise");

    /// <summary>Slow reference: differentiate ½ Σ_p relu(A_j)² of one image down to the watched image, read the lower
    /// layer's gradient, multiply by its activation, sum over space, L1-normalise.</summary>
    private static float[] Reference(RootModule model, ImageDataset data, string layer, string lower, int neuron, long input)
    {
        using var tape = new Tape();
        Tensor image = tape.Watch(data.Gather([input]));
        Tensor? low = null, up = null;
        using (model.Hooks.Add(lower, (_, t) => { low = t; }))
        using (model.Hooks.Add(layer, (_, t) => { up = t; }))
            ((IImageClassifier)model).Forward(image);
        int c = up!.Dim(1);
        var mask = new float[up.Length];
        int positions = up.Length / c;
        Array.Fill(mask, 0.5f, neuron * positions, positions);
        Tensor r = Ops.Relu(up);
        Tensor objective = Ops.Sum(r * r * Tensor.FromArray(mask, up.Shape.ToArray()));
        GradStore grads = tape.Backward(objective);
        float[] x = low!.ToArray(), g = grads[low]!.ToArray();
        int lc = low.Dim(1), lp = low.Length / lc;
        var rel = new double[lc];
        for (int i = 0; i < lc; i++)
            for (int p = 0; p < lp; p++) rel[i] += (double)x[i * lp + p] * g[i * lp + p];
        double l1 = rel.Sum(Math.Abs) + 1e-10;
        return rel.Select(v => (float)(v / l1)).ToArray();
    }

    [Theory]
    [InlineData("layer3", "layer2")]              // block chain: only layer3.0 is re-run
    [InlineData("layer3", "relu")]                // from the stem output: layer1 … layer3
    [InlineData("layer3", "layer3.0.hook_relu1")] // inside a block: full replay with the lower activation replaced
    public void Compute_SmallResNet_MatchesFullForwardBackwardPerPair(string layer, string lower)
    {
        RootModule model = SmallResNet();
        ImageDataset data = Images(6);
        CircuitRequest[] pairs = [new(0, 0), new(5, 0), new(77, 0), new(5, 1), new(5, 2), new(100, 3), new(127, 4), new(0, 5), new(77, 5), new(3, 5)];
        CircuitResult fast = Circuits.Compute(model, data, layer, lower, pairs, batch: 4);
        Assert.Equal(lower != "layer3.0.hook_relu1", fast.SubNetwork);
        Assert.Equal(6, fast.Inputs);
        foreach (CircuitRequest p in pairs)
        {
            float[] expected = Reference(model, data, layer, lower, p.Neuron, p.Input);
            TensorAssert.Close(expected, fast.Circuits[p], 1e-5f, 1e-3f, $"circuit {p}");
            Assert.Equal(fast.Activations[p] > 0 ? 1.0 : 0.0, fast.Circuits[p].Sum(Math.Abs), 1e-4);
        }
        Assert.True(pairs.Count(p => fast.Activations[p] > 0) >= 4, "too few active pairs to test anything");
    }

    /// <summary>A small-resnet-16 layout with two blocks per stage (so "layer2.1" has an identity shortcut) and random
    /// batch-norm statistics and affine parameters (so the hand-written backward's BN scales are not 1).</summary>
    private static RootModule TwoBlockResNet()
    {
        RootModule model = new SmallCnn(WeightSource.Initialize(5), SmallCnnConfig.SmallResNet16 with { BlocksPerStage = 2 });
        Support.BatchNorms.Randomise(model, seed: 6);
        model.Eval();
        return model;
    }

    [Theory]
    [InlineData("layer2.1", "layer2.0")] // identity shortcut
    [InlineData("layer3.0", "layer2")]   // stride 2, conv-BN shortcut
    public void Compute_SingleBasicBlock_HandWrittenBackwardMatchesTape(string layer, string lower)
    {
        RootModule model = TwoBlockResNet();
        Assert.NotNull(LinearBlock.TryCreate(SubNetwork.TryCreate(model, lower, layer)!.Value.Between));
        ImageDataset data = Images(5, seed: 8);
        CircuitRequest[] pairs = [new(0, 0), new(3, 0), new(7, 1), new(15, 2), new(2, 3), new(9, 4), new(11, 4)];
        CircuitResult fast = Circuits.Compute(model, data, layer, lower, pairs, batch: 3);
        foreach (CircuitRequest p in pairs)
            TensorAssert.Close(Reference(model, data, layer, lower, p.Neuron, p.Input), fast.Circuits[p], 1e-5f, 1e-3f, $"circuit {p}");
        Assert.True(pairs.Count(p => fast.Activations[p] > 0) >= 4, "too few active pairs to test anything");
    }

    [Theory]
    [InlineData(NaiveBackward.Parameters)]
    [InlineData(NaiveBackward.Input)]
    [InlineData(NaiveBackward.LowerLayer)]
    public void ComputeNaive_SmallResNet_EqualsFastPass(NaiveBackward backward)
    {
        RootModule model = SmallResNet();
        ImageDataset data = Images(3);
        CircuitRequest[] pairs = [new(1, 0), new(9, 1), new(9, 2)];
        CircuitResult fast = Circuits.Compute(model, data, "layer3", "layer2", pairs);
        foreach (CircuitRequest p in pairs)
        {
            (float[] circuit, float activation) = Circuits.ComputeNaive(model, data, "layer3", "layer2", p, backward);
            TensorAssert.Close(circuit, fast.Circuits[p], 1e-5f, 1e-3f, $"naive {p}");
            Assert.Equal(activation, fast.Activations[p], 1e-5f);
        }
    }

    [Fact]
    public void Compute_LowerAfterLayer_Throws()
    {
        AnalysisException e = Assert.Throws<AnalysisException>(() =>
            Circuits.Compute(SmallResNet(), Images(2), "layer2", "layer3", [new CircuitRequest(0, 0)]));
        Assert.Contains("lower layer", e.Message);
    }

    [Fact]
    public void Compute_NeuronOutsideLayer_Throws()
    {
        AnalysisException e = Assert.Throws<AnalysisException>(() =>
            Circuits.Compute(SmallResNet(), Images(2), "layer2", "layer1", [new CircuitRequest(64, 0)]));
        Assert.Contains("neuron 64", e.Message);
    }

    [Fact]
    public void Compute_TorchFixture_MatchesPyTorch()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "pure.json")));
        JsonElement root = doc.RootElement;
        var tensors = root.GetProperty("state_dict").EnumerateObject().ToDictionary(p => p.Name, p => Read(p.Value));
        var model = new ResNet(WeightSource.FromTensors(tensors, "pure.json"), new ResNetConfig(ResNetBlockKind.Basic, [1, 1, 1, 1]) { Width = 4, Classes = 10 });
        model.Eval();
        var data = new ImageDataset(Read(root.GetProperty("images")), null, "fixture images");
        int n = data.Count;
        foreach (JsonElement c in root.GetProperty("cases").EnumerateArray())
        {
            string layer = c.GetProperty("layer").GetString()!, lower = c.GetProperty("lower").GetString()!;
            Tensor expected = Read(c.GetProperty("circuits"));              // [images, neurons, C_lower]
            Tensor maxAct = Read(c.GetProperty("max_activation"));          // [images, neurons]
            int neurons = expected.Dim(1), lowC = expected.Dim(2);
            var pairs = (from i in Enumerable.Range(0, n) from j in Enumerable.Range(0, neurons) select new CircuitRequest(j, i)).ToArray();
            CircuitResult fast = Circuits.Compute(model, data, layer, lower, pairs, batch: 2);
            Assert.True(fast.SubNetwork);
            Assert.Equal(lowC, fast.LowerChannels);
            float[] actual = pairs.SelectMany(p => fast.Circuits[p]).ToArray();
            TensorAssert.Close(expected.Data, actual, 1e-4f, 1e-3f, $"{layer} ← {lower}");
            TensorAssert.Close(maxAct.Data, pairs.Select(p => fast.Activations[p]).ToArray(), 1e-5f, 1e-4f, $"{layer} max activation");
            (float[] naive, _) = Circuits.ComputeNaive(model, data, layer, lower, pairs[^1]);
            TensorAssert.Close(expected.Data.Slice((n * neurons - 1) * lowC, lowC), naive, 1e-4f, 1e-3f, $"{layer} naive");
        }
    }

    private static Tensor Read(JsonElement e) =>
        Tensor.FromArray(e.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray(),
            e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray());
}
