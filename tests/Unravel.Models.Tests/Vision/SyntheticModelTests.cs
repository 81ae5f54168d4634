// Full-size torchvision ResNet-18, ResNet-50 and VGG-16-BN against PyTorch. Their weights are not committed: both
// sides fill every state_dict entry from the formula in SyntheticWeights (= models_vision.py `synthetic_value`), and
// the per-tensor bit checksums prove the two formulas agree exactly before any forward runs. Stored: logits and three
// activations per model (whole, or a strided subsample with the full sum and absolute sum).
//
// Tolerance: atol 1e-4 / rtol 1e-3 instead of the op-level 1e-5 / 1e-4. These nets chain 16–50 convolutions with
// K = 576…4608 (and a 25088-wide linear) whose float32 sums are accumulated in a different order than oneDNN/OpenBLAS;
// each layer adds ~1e-6 relative error and the errors compound through depth, and the logits here are O(15).

using System.Text.Json;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;
using Xunit.Abstractions;

namespace Unravel.Models.Tests.Vision;

public sealed class SyntheticModelTests(ITestOutputHelper output)
{
    private const float Atol = 1e-4f, Rtol = 1e-3f;

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("vgg16_bn")]
    public void FullSizeModel_SyntheticWeights_MatchesTorchvision(string name)
    {
        using JsonDocument doc = VisionFixtures.Json("synthetic", name + ".json");
        JsonElement root = doc.RootElement;

        var tensors = new Dictionary<string, Tensor>();
        var wrongBits = new List<string>();
        foreach (JsonElement entry in root.GetProperty("keys").EnumerateArray())
        {
            string key = entry[0].GetString()!;
            Tensor t = SyntheticWeights.Value(key, VisionFixtures.Ints(entry[1]));
            if (SyntheticWeights.BitSum(t.Data) != entry[2].GetUInt32()) wrongBits.Add(key);
            tensors[key] = t;
        }
        Assert.True(wrongBits.Count == 0, $"the C# weight formula differs from Python for: {string.Join(", ", wrongBits.Take(10))}");

        JsonElement input = root.GetProperty("input");
        Tensor x = SyntheticWeights.Input(input.GetProperty("name").GetString()!, VisionFixtures.Ints(input.GetProperty("shape")));
        Assert.Equal(input.GetProperty("bitsum").GetUInt32(), SyntheticWeights.BitSum(x.Data));

        WeightSource ws = WeightSource.FromTensors(tensors, $"synthetic {name}");
        RootModule model = ModelRegistry.Get(name).Create(ws);
        ws.Complete(); // the registry preset has exactly torchvision's keys and shapes
        var classifier = (IImageClassifier)model;

        JsonElement acts = root.GetProperty("activations");
        string[] names = acts.EnumerateObject().Select(p => p.Name).ToArray();
        ActivationCache cache = model.RunWithCache(() => classifier.Forward(x), names);
        IReadOnlyDictionary<string, Tensor> expected = VisionFixtures.Tensors("synthetic", name + ".safetensors");

        double d = TensorAssert.Close(expected["logits"], cache.Output, Atol, Rtol, $"{name} logits");
        output.WriteLine($"{name} logits maxDiff {d:G3}");
        foreach (JsonProperty act in acts.EnumerateObject())
        {
            Tensor actual = cache[act.Name];
            Assert.Equal(VisionFixtures.Ints(act.Value.GetProperty("shape")), actual.Shape.ToArray());
            int step = act.Value.GetProperty("step").GetInt32();
            Tensor reference = expected[act.Name];
            if (step == 1) d = TensorAssert.Close(reference, actual, Atol, Rtol, $"{name} {act.Name}");
            else
            {
                float[] samples = new float[reference.Length];
                for (int i = 0; i < samples.Length; i++) samples[i] = actual.Data[i * step];
                d = TensorAssert.Close(reference.Data, samples, Atol, Rtol, $"{name} {act.Name} (every {step}th value)");
            }
            double sum = 0, absSum = 0;
            foreach (float v in actual.Data)
            {
                sum += v;
                absSum += Math.Abs(v);
            }
            double eSum = act.Value.GetProperty("sum").GetDouble(), eAbs = act.Value.GetProperty("abs_sum").GetDouble();
            Assert.True(Math.Abs(absSum - eAbs) <= 1e-5 * eAbs, $"{name} {act.Name}: Σ|x| {absSum:G9}, expected {eAbs:G9}");
            Assert.True(Math.Abs(sum - eSum) <= 1e-5 * eAbs, $"{name} {act.Name}: Σx {sum:G9}, expected {eSum:G9}");
            output.WriteLine($"{name} {act.Name} {actual.ShapeString} maxDiff {d:G3}, Σ|x| rel diff {Math.Abs(absSum - eAbs) / eAbs:G3}");
        }
    }
}
