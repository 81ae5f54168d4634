// Per-component checks: one torchvision BasicBlock / Bottleneck at a time against PyTorch (blocks.json +
// blocks/<case>.safetensors from tools/fixtures/models_vision.py), forward and input gradient, in eval mode.

using System.Text.Json;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Models.Tests.Vision;

public sealed class ResNetBlockTests
{
    public static TheoryData<string> Cases()
    {
        using JsonDocument doc = VisionFixtures.Json("blocks.json");
        var data = new TheoryData<string>();
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Block_TorchvisionWeights_MatchesForwardAndInputGradient(string name)
    {
        (ResidualBlockBase block, IReadOnlyDictionary<string, Tensor> expected) = Build(name);
        Tensor x = expected["input"].Clone();

        TensorAssert.Close(expected["output"], block.Forward(x), TensorAssert.ForwardAtol, TensorAssert.ForwardRtol, $"{name} output");

        using var tape = new Tape();
        tape.Watch(x);
        Tensor y = block.Forward(x);
        GradStore grads = tape.Backward(y, expected["grad_out"]);
        TensorAssert.Close(expected["input_grad"], grads[x]!, TensorAssert.GradAtol, TensorAssert.GradRtol, $"{name} input grad");
    }

    [Fact]
    public void Bottleneck_InternalHooks_FireInOrderWithBranchShapes()
    {
        (ResidualBlockBase block, IReadOnlyDictionary<string, Tensor> expected) = Build("bottleneck_stride2");
        var seen = new List<(string Name, string Shape)>();
        using (block.Hooks.Add("layer3.0**", (string n, Tensor t) => seen.Add((n, t.ShapeString))))
            block.Forward(expected["input"]);
        // x [1, 16, 9, 8]; inner width 4; stride 2 on conv2 (v1.5) → 5×4; output 16 channels.
        Assert.Equal(
            [("layer3.0.conv1", "[1, 4, 9, 8]"), ("layer3.0.bn1", "[1, 4, 9, 8]"), ("layer3.0.hook_relu1", "[1, 4, 9, 8]"),
             ("layer3.0.conv2", "[1, 4, 5, 4]"), ("layer3.0.bn2", "[1, 4, 5, 4]"), ("layer3.0.hook_relu2", "[1, 4, 5, 4]"),
             ("layer3.0.conv3", "[1, 16, 5, 4]"), ("layer3.0.bn3", "[1, 16, 5, 4]"),
             ("layer3.0.downsample.0", "[1, 16, 5, 4]"), ("layer3.0.downsample.1", "[1, 16, 5, 4]"), ("layer3.0.downsample", "[1, 16, 5, 4]"),
             ("layer3.0.hook_add", "[1, 16, 5, 4]"), ("layer3.0", "[1, 16, 5, 4]")],
            seen);
    }

    [Fact]
    public void BasicBlock_HookAdd_IsOutputBeforeRelu()
    {
        (ResidualBlockBase block, IReadOnlyDictionary<string, Tensor> expected) = Build("basic_stride2");
        Tensor? sum = null, output = null;
        using (block.Hooks.Add("layer3.0.hook_add", (string _, Tensor t) => sum = t))
        using (block.Hooks.Add("layer3.0", (string _, Tensor t) => output = t))
            block.Forward(expected["input"]);
        Assert.NotNull(sum);
        Assert.Equal(sum!.ToArray().Select(v => Math.Max(v, 0f)), output!.ToArray());
        Assert.Contains(sum.ToArray(), v => v < 0); // the ReLU did something
    }

    /// <summary>The block of case <paramref name="name"/>, built at path "layer3.0" from the fixture weights.</summary>
    private static (ResidualBlockBase Block, IReadOnlyDictionary<string, Tensor> Expected) Build(string name)
    {
        using JsonDocument doc = VisionFixtures.Json("blocks.json");
        JsonElement c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        JsonElement args = c.GetProperty("args");
        IReadOnlyDictionary<string, Tensor> file = VisionFixtures.Tensors("blocks", name + ".safetensors");
        var state = file.Where(kv => kv.Key.StartsWith("state/", StringComparison.Ordinal))
            .ToDictionary(kv => "layer3.0." + kv.Key["state/".Length..], kv => kv.Value);
        WeightSource ws = WeightSource.FromTensors(state, name);
        int inChannels = args.GetProperty("in").GetInt32(), planes = args.GetProperty("planes").GetInt32();
        int stride = args.GetProperty("stride").GetInt32();
        ResidualBlockBase block = c.GetProperty("kind").GetString() == "basic"
            ? new BasicBlock(ws.At("layer3").At(0), inChannels, planes, stride)
            : new Bottleneck(ws.At("layer3").At(0), inChannels, planes, stride,
                args.TryGetProperty("groups", out JsonElement g) ? g.GetInt32() : 1,
                args.TryGetProperty("width_per_group", out JsonElement w) ? w.GetInt32() : 64);
        ws.Complete();
        block.Eval();
        return (block, file);
    }
}
