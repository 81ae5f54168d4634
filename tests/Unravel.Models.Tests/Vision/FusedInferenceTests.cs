// The fused inference path of ResNet blocks and stems (conv → batch norm → (+ identity) → ReLU as one op) against the
// module-by-module path, which a registered hook forces: the outputs must be bit-identical, with batch norms whose
// running statistics and affine parameters are far from the identity. Under a tape the fused path must not be taken.

using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Models.Tests.Vision;

public sealed class FusedInferenceTests
{
    public static TheoryData<string> Configs => ["resnet18_w8", "resnet50_w4", "resnext_w8_g2", "resnext_w8_depthwise"];

    [Theory]
    [MemberData(nameof(Configs))]
    public void ResNet_FusedInference_IsBitIdenticalToModuleByModule(string config)
    {
        ResNet model = Build(config);
        Tensor x = Tensor.RandomNormal(new Random(5), 2, 3, 37, 45);

        float[] fused = model.Forward(x).ToArray();
        float[] plain;
        using (model.Hooks.Add("**", (_, _) => { })) // a hook on every point makes every block run module by module
            plain = model.Forward(x).ToArray();

        Assert.Equal(plain, fused);
    }

    [Fact]
    public void ResNet_UnderATape_RecordsTheModuleGraph()
    {
        ResNet model = Build("resnet18_w8");
        Tensor x = Tensor.RandomNormal(new Random(6), 1, 3, 32, 32);
        float[] fused = model.Forward(x).ToArray();

        using var tape = new Tape();
        Tensor xs = tape.Watch(x.Clone());
        Tensor y = model.Forward(xs);
        Assert.Equal(fused, y.ToArray());
        Assert.Contains(tape.Nodes, n => n.Op == "batch_norm2d"); // not fused: LRP and gradients see every layer
        Assert.NotNull(tape.Backward(y)[xs]);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void ResNet_FusedInference_WritesOnlyOverIntermediatesNothingHolds(string config)
    {
        // Block sums are written over the residual they consume (a downsample's output, or a block output the next block
        // takes over). The model input, the first stage's input and a hooked block output must come out unchanged.
        ResNet model = Build(config);
        Tensor x = Tensor.RandomNormal(new Random(11), 2, 3, 37, 45);
        float[] input = x.ToArray();
        Tensor? kept = null;
        float[]? seen = null;
        float[] plain;
        using (model.Hooks.Add("**", (_, _) => { }))
            plain = model.Forward(x).ToArray();
        float[] fused;
        using (model.Hooks.Add("layer1.0", (_, t) => { kept = t; seen = t.ToArray(); }))   // holds the tensor itself
            fused = model.Forward(x).ToArray();

        Assert.Equal(plain, fused);
        Assert.Equal(input, x.ToArray());
        Assert.Equal(seen, kept!.ToArray());           // layer1.1 read it as its residual but did not write over it
        using (var arena = new TensorArena().Begin())
            Assert.Equal(plain, model.Forward(x).ToArray());   // and with buffers from an arena scope
    }

    [Fact]
    public void CanFuse_IsFalseInTrainingWithHooksOrTrackedInputs()
    {
        ResNet model = Build("resnet18_w8");
        Tensor x = Tensor.RandomNormal(new Random(7), 1, 3, 16, 16);
        Assert.True(ConvBnAct.CanFuse(model, x));
        using (model.Hooks.Add("layer1.0.hook_relu1", (_, _) => { }))
        {
            Assert.False(ConvBnAct.CanFuse(model, x));
            Assert.False(ConvBnAct.CanFuse(model.Stages[0].Blocks[0], x));
            Assert.True(ConvBnAct.CanFuse(model.Stages[0].Blocks[1], x));   // a hook elsewhere does not stop this block
        }
        using (model.Hooks.Add("layer1", (_, _) => { }))
            Assert.True(ConvBnAct.CanFuse(model.Stages[0].Blocks[1], x));   // a stage output is computed after its blocks
        model.Train();
        Assert.False(ConvBnAct.CanFuse(model, x));
        model.Eval();
        using var tape = new Tape();
        Assert.False(ConvBnAct.CanFuse(model, tape.Watch(x.Clone())));
    }

    private static ResNet Build(string config)
    {
        ResNetConfig c = config switch
        {
            "resnet18_w8" => ResNetConfig.ResNet18 with { Width = 8, Classes = 5 },
            "resnet50_w4" => ResNetConfig.ResNet50 with { Width = 4, Classes = 5 },
            "resnext_w8_g2" => ResNetConfig.ResNet50 with { Width = 8, Classes = 5, Groups = 2, WidthPerGroup = 32 },
            _ => ResNetConfig.ResNet50 with { Width = 8, Classes = 5, Groups = 8, WidthPerGroup = 8 },
        };
        var model = new ResNet(WeightSource.Initialize(3), c);
        var rng = new Random(9);
        foreach (Module m in model.Modules())
        {
            if (m is not BatchNorm2d bn) continue;
            Randomize(bn.W.Value, rng, 0.5f, 1.5f);
            Randomize(bn.B.Value, rng, -0.5f, 0.5f);
            Randomize(bn.RunningMean.Value, rng, -0.3f, 0.3f);
            Randomize(bn.RunningVar.Value, rng, 0.5f, 2f);
        }
        model.Eval();
        return model;
    }

    private static void Randomize(Tensor t, Random rng, float lo, float hi)
    {
        Span<float> d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = lo + (hi - lo) * (float)rng.NextDouble();
    }
}
