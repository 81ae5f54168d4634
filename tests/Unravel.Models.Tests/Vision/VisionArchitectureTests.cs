// Registry presets against torchvision's state_dict layout (architectures.json: keys, shapes and order for every
// preset), hook naming, hook lifetime, input validation and config validation of the vision models.

using System.Text.Json;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Models.Tests.Vision;

public sealed class VisionArchitectureTests
{
    public static TheoryData<string> Presets()
    {
        using JsonDocument doc = VisionFixtures.Json("architectures.json");
        var data = new TheoryData<string>();
        foreach (JsonProperty p in doc.RootElement.GetProperty("presets").EnumerateObject()) data.Add(p.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Preset_StateDict_EqualsTorchvisionKeysShapesAndOrder(string name)
    {
        using JsonDocument doc = VisionFixtures.Json("architectures.json");
        var expected = doc.RootElement.GetProperty("presets").GetProperty(name).EnumerateArray()
            .Select(e => (Key: e[0].GetString()!, Shape: VisionFixtures.Ints(e[1]))).ToList();
        // Zero tensors of the torchvision shapes: fresh arrays are untouched OS pages, so even VGG's 400 MB fc costs little.
        var tensors = expected.ToDictionary(e => e.Key, e => Tensor.Zeros(e.Shape));
        WeightSource ws = WeightSource.FromTensors(tensors, name);

        RootModule model = ModelRegistry.Get(name).Create(ws);

        ws.Complete(); // no missing, unexpected or mis-shaped key
        Assert.Equal(expected.Select(e => e.Key), model.StateDict().Keys);
        Assert.IsAssignableFrom<IImageClassifier>(model);
    }

    [Fact]
    public void Registry_ListsEveryVisionPresetOnce()
    {
        string[] names = ModelRegistry.Architectures.Select(a => a.Name).ToArray();
        Assert.Equal(names.Length, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        using JsonDocument doc = VisionFixtures.Json("architectures.json");
        foreach (JsonProperty p in doc.RootElement.GetProperty("presets").EnumerateObject()) Assert.Contains(p.Name, names);
        Assert.Same(ModelRegistry.Get("resnet50"), ModelRegistry.Get("ResNet50"));
    }

    [Fact]
    public void ResNet_HookNames_FollowTorchvisionPathsAndBlockPoints()
    {
        var model = new ResNet(WeightSource.Initialize(1), ResNetConfig.ResNet50 with { Width = 4, Classes = 5 });
        IReadOnlyList<string> names = model.AllHookNames;
        foreach (string n in (string[])["conv1", "bn1", "relu", "maxpool", "layer1", "layer1.0", "layer1.0.conv1",
                     "layer1.0.hook_relu1", "layer1.0.hook_relu2", "layer1.0.hook_add", "layer1.0.downsample",
                     "layer1.0.downsample.0", "layer1.0.downsample.1", "layer3.5.bn3", "layer4.2", "avgpool", "fc"])
            Assert.Contains(n, names);
        Assert.DoesNotContain("layer1.0.relu", names); // torchvision's shared ReLU module has no single activation
        Assert.DoesNotContain("layer1.1.downsample", names);
        Assert.Equal(16, names.Count(n => n.EndsWith(".hook_add", StringComparison.Ordinal)));
    }

    [Fact]
    public void ResNet_ZeroingLastBlock_LeavesOnlyFcBias()
    {
        var model = new ResNet(WeightSource.Initialize(2), ResNetConfig.ResNet18 with { Width = 4, Classes = 7 });
        Tensor x = Tensor.RandomNormal(new Random(3), 2, 3, 33, 31);
        Tensor logits;
        using (model.Hooks.Add("layer4.1", (_, t) => Tensor.Zeros(t.Shape.ToArray())))
            logits = model.Forward(x); // avgpool(0) = 0 ⇒ logits = fc.bias for every image
        float[] bias = model.Fc.B!.Value.ToArray();
        Assert.Equal([.. bias, .. bias], logits.ToArray());
        Assert.Equal(0, model.Hooks.Count);
        Assert.NotEqual([.. bias, .. bias], model.Forward(x).ToArray());
    }

    [Fact]
    public void ResNet_RunWithCache_StageOutputEqualsLastBlockOutput()
    {
        var model = new ResNet(WeightSource.Initialize(4), ResNetConfig.ResNet18 with { Width = 4, Classes = 3 });
        Tensor x = Tensor.RandomNormal(new Random(5), 1, 3, 40, 40);
        ActivationCache cache = model.RunWithCache(() => model.Forward(x), "layer2", "layer2.*", "layer2.1.hook_*", "avgpool");
        Assert.Equal(cache["layer2.1"].ToArray(), cache["layer2"].ToArray());
        Assert.Equal([1, 8, 5, 5], cache["layer2.1.hook_add"].Shape.ToArray());
        Assert.Equal([1, 32, 1, 1], cache["avgpool"].Shape.ToArray());
        Assert.Equal([1, 3], cache.Output.Shape.ToArray());
    }

    [Fact]
    public void Vgg_EvalMode_DropoutHookPointsStillFire()
    {
        var model = new Vgg(WeightSource.Initialize(6), VggConfig.Vgg11 with { WidthDivisor = 32, Classes = 4 });
        ActivationCache cache = model.RunWithCache(() => model.Forward(Tensor.RandomNormal(new Random(7), 1, 3, 32, 32)),
            "features.*", "avgpool", "classifier.*");
        Assert.Equal(cache["classifier.1"].ToArray(), cache["classifier.2"].ToArray()); // dropout is the identity in eval
        Assert.Equal([1, 16, 7, 7], cache["avgpool"].Shape.ToArray());
        Assert.Equal([1, 16, 1, 1], cache["features.20"].Shape.ToArray()); // the fifth max pool
        Assert.Equal(21, cache.Names.Count(n => n.StartsWith("features.", StringComparison.Ordinal)));
    }

    [Fact]
    public void SmallCnn_Presets_HaveResNetPathsAndFashionMnistShape()
    {
        var resnet = new SmallCnn(WeightSource.Initialize(8), SmallCnnConfig.SmallResNet);
        var plain = new SmallCnn(WeightSource.Initialize(8), SmallCnnConfig.SmallPlain);
        Tensor x = Tensor.RandomNormal(new Random(9), 2, 1, 28, 28);

        ActivationCache cache = resnet.RunWithCache(() => resnet.Forward(x), "layer*");
        Assert.Equal([2, 32, 28, 28], cache["layer1"].Shape.ToArray());
        Assert.Equal([2, 64, 14, 14], cache["layer2"].Shape.ToArray());
        Assert.Equal([2, 128, 7, 7], cache["layer3"].Shape.ToArray());
        Assert.Equal([2, 10], plain.Forward(x).Shape.ToArray());
        Assert.Equal((1, 28, 28), resnet.InputSize);
        Assert.Equal(10, plain.Classes);
        Assert.Contains("layer2.0.downsample.0.weight", resnet.StateDict().Keys);
        Assert.Contains("layer2.0.bn1.running_var", plain.StateDict().Keys);
        Assert.DoesNotContain(plain.StateDict().Keys, k => k.Contains("downsample", StringComparison.Ordinal) || k.Contains("conv2", StringComparison.Ordinal));
    }

    [Fact]
    public void Initialize_SameSeed_GivesSameModel()
    {
        Tensor x = Tensor.RandomNormal(new Random(10), 1, 3, 32, 32);
        float[] a = new ResNet(WeightSource.Initialize(11), ResNetConfig.ResNet18 with { Width = 4 }).Forward(x).ToArray();
        float[] b = new ResNet(WeightSource.Initialize(11), ResNetConfig.ResNet18 with { Width = 4 }).Forward(x).ToArray();
        Assert.Equal(a, b);
    }

    [Fact]
    public void Forward_WrongInputShape_ThrowsNamingModelAndShape()
    {
        var resnet = new ResNet(WeightSource.Initialize(1), ResNetConfig.ResNet18 with { Width = 4 });
        var e = Assert.Throws<ArgumentException>(() => resnet.Forward(Tensor.Zeros(1, 1, 32, 32)));
        Assert.Contains("resnet", e.Message);
        Assert.Contains("[1, 1, 32, 32]", e.Message);

        var small = new SmallCnn(WeightSource.Initialize(1), SmallCnnConfig.SmallPlain);
        e = Assert.Throws<ArgumentException>(() => small.Forward(Tensor.Zeros(28, 28)));
        Assert.Contains("small-cnn", e.Message);
        Assert.Contains("[N, 1, H, W]", e.Message);

        var vgg = new Vgg(WeightSource.Initialize(1), VggConfig.Vgg11 with { WidthDivisor = 64 });
        e = Assert.Throws<ArgumentException>(() => vgg.Forward(Tensor.Zeros(2, 4, 32, 32)));
        Assert.Contains("vgg", e.Message);
    }

    [Fact]
    public void Configs_OutOfRange_ThrowNamingTheValue()
    {
        Assert.Contains("Layers", Assert.Throws<ArgumentException>(() =>
            new ResNet(WeightSource.Initialize(1), new ResNetConfig(ResNetBlockKind.Basic, [2, 2, 2]))).Message);
        Assert.Contains("Groups", Assert.Throws<ArgumentException>(() =>
            new ResNet(WeightSource.Initialize(1), ResNetConfig.ResNet18 with { Groups = 2 })).Message);
        Assert.Contains("WidthDivisor 3", Assert.Throws<ArgumentException>(() =>
            new Vgg(WeightSource.Initialize(1), VggConfig.Vgg11 with { WidthDivisor = 3 })).Message);
        Assert.Contains("Widths", Assert.Throws<ArgumentException>(() =>
            new SmallCnn(WeightSource.Initialize(1), new SmallCnnConfig([]))).Message);
    }
}
