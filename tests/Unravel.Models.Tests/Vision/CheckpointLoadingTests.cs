// Real checkpoint files (reduced-width torchvision models and the small CNNs, saved by PyTorch as .pth and by hand as
// safetensors) loaded through ModelLoader, compared with PyTorch: logits, the input gradient of the target logits,
// and for the small CNNs a training step (loss, every parameter gradient, updated running statistics). Also the
// strict-loading errors and the checkpoint irregularities ModelLoader absorbs.

using Unravel.IO;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using Xunit.Abstractions;

namespace Unravel.Models.Tests.Vision;

public sealed class CheckpointLoadingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("unravel-vision-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    public static TheoryData<string, string> Files() => new()
    {
        { "resnet18_w6", "model.pth" },
        { "resnet18_w6", "model.safetensors" },
        { "resnet50_w4", "model.pth" },
        { "vgg11_bn_d32", "model.pth" },
        { "vgg11_bn_d32", "model.safetensors" },
        { "vgg16_d64", "model.pth" },
        { "vgg16_d64", "model.safetensors" },
        { "small_resnet_w8", "model.pth" },
        { "small_cnn_nobn", "model.safetensors" },
        { "small_resnet_nobn", "model.pth" },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Load_ReducedCheckpoint_MatchesTorchLogitsAndInputGradient(string name, string file)
    {
        var model = (IImageClassifier)ModelLoader.Load(VisionFixtures.PathOf("checkpoints", name, file), VisionFixtures.ArchitectureOf(name));
        IReadOnlyDictionary<string, Tensor> expected = VisionFixtures.Tensors("checkpoints", name, "expected.safetensors");
        Tensor input = expected["input"];

        double d = TensorAssert.Close(expected["logits"], model.Forward(input), TensorAssert.ForwardAtol, TensorAssert.ForwardRtol, $"{name} logits");

        using var tape = new Tape();
        Tensor x = tape.Watch(input.Clone());
        Tensor logits = model.Forward(x);                 // [N, Classes]
        GradStore grads = tape.Backward(logits, OneHot(VisionFixtures.Targets(name), model.Classes));
        Tensor dx = grads[x]!;
        Assert.Equal(input.Shape.ToArray(), dx.Shape.ToArray());
        double g = TensorAssert.Close(expected["input_grad"], dx, TensorAssert.GradAtol, TensorAssert.GradRtol, $"{name} input grad");
        output.WriteLine($"{name}/{file}: logits maxDiff {d:G3}, input grad maxDiff {g:G3}");
    }

    /// <summary>With the weights frozen (convolution weights packed once), repeated forwards and the input gradient still
    /// match PyTorch and equal the unfrozen run bit for bit.</summary>
    [Theory]
    [InlineData("resnet18_w6")]
    [InlineData("resnet50_w4")]
    [InlineData("vgg11_bn_d32")]
    public void FreezeWeights_ReducedCheckpoint_MatchesTorchAndUnfrozen(string name)
    {
        RootModule root = ModelLoader.Load(VisionFixtures.PathOf("checkpoints", name, "model.pth"), VisionFixtures.ArchitectureOf(name));
        var model = (IImageClassifier)root;
        IReadOnlyDictionary<string, Tensor> expected = VisionFixtures.Tensors("checkpoints", name, "expected.safetensors");
        Tensor input = expected["input"];
        Tensor InputGradient()
        {
            using var tape = new Tape { KeepIntermediateGradients = false, FuseInference = true };
            Tensor x = tape.Watch(input.Clone());
            return tape.Backward(model.Forward(x), OneHot(VisionFixtures.Targets(name), model.Classes))[x]!;
        }

        float[] plainLogits = model.Forward(input).ToArray(), plainGrad = InputGradient().ToArray();
        using (root.FreezeWeights())
        {
            for (int call = 0; call < 2; call++)
            {
                Tensor logits = model.Forward(input), grad = InputGradient();
                TensorAssert.Close(expected["logits"], logits, TensorAssert.ForwardAtol, TensorAssert.ForwardRtol, $"{name} frozen logits");
                TensorAssert.Close(expected["input_grad"], grad, TensorAssert.GradAtol, TensorAssert.GradRtol, $"{name} frozen input grad");
                Assert.Equal(plainLogits, logits.ToArray());
                Assert.Equal(plainGrad, grad.ToArray());
            }
            Assert.Contains(root.Parameters(), p => FrozenWeights.CachedForms(p.Value) > 0);
        }
        Assert.All(root.Parameters(), p => Assert.Equal(0, FrozenWeights.CachedForms(p.Value)));
    }

    [Theory]
    [InlineData("small_resnet_w8")]
    [InlineData("small_cnn_nobn")]
    [InlineData("small_resnet_nobn")]
    public void SmallCnn_TrainingStep_MatchesTorchLossGradientsAndRunningStats(string name)
    {
        string file = File.Exists(VisionFixtures.PathOf("checkpoints", name, "model.pth")) ? "model.pth" : "model.safetensors";
        RootModule model = ModelLoader.Load(VisionFixtures.PathOf("checkpoints", name, file), VisionFixtures.ArchitectureOf(name));
        IReadOnlyDictionary<string, Tensor> expected = VisionFixtures.Tensors("checkpoints", name, "expected.safetensors");
        model.Train();

        using var tape = new Tape();
        foreach (Parameter p in model.TrainableParameters()) tape.Watch(p.Value);
        Tensor logits = ((IImageClassifier)model).Forward(expected["input"]);      // [N, 10], batch statistics
        Tensor loss = Ops.CrossEntropy(logits, VisionFixtures.Targets(name));      // []
        GradStore grads = tape.Backward(loss);

        TensorAssert.Close(expected["train_logits"], logits, TensorAssert.ForwardAtol, TensorAssert.ForwardRtol, $"{name} train logits");
        TensorAssert.Close(expected["train_loss"], loss, TensorAssert.ForwardAtol, TensorAssert.ForwardRtol, $"{name} loss");
        double worst = 0;
        int checkedGrads = 0;
        foreach (Parameter p in model.TrainableParameters())
        {
            worst = Math.Max(worst, TensorAssert.Close(expected["grad/" + p.Path], grads[p.Value]!, TensorAssert.GradAtol, TensorAssert.GradRtol, $"{name} d{p.Path}"));
            checkedGrads++;
        }
        Assert.Equal(expected.Keys.Count(k => k.StartsWith("grad/", StringComparison.Ordinal)), checkedGrads);
        foreach (Parameter p in model.Parameters().Where(p => p.IsBuffer))
            TensorAssert.Close(expected["after/" + p.Path], p.Value, TensorAssert.ForwardAtol, TensorAssert.ForwardRtol, $"{name} {p.Path} after the step");
        output.WriteLine($"{name}: {checkedGrads} parameter gradients, max diff {worst:G3}");
    }

    [Fact]
    public void Load_Float16Safetensors_MatchesTorchOnHalfRoundedWeights()
    {
        var model = (IImageClassifier)ModelLoader.Load(VisionFixtures.PathOf("checkpoints", "resnet18_w6", "model_f16.safetensors"),
            VisionFixtures.ArchitectureOf("resnet18_w6"));
        IReadOnlyDictionary<string, Tensor> expected = VisionFixtures.Tensors("checkpoints", "resnet18_w6", "expected.safetensors");
        Tensor logits = model.Forward(expected["input"]);
        TensorAssert.Close(expected["logits_f16"], logits, TensorAssert.ForwardAtol, TensorAssert.ForwardRtol, "f16 logits");
        // The half-precision weights really differ from the float32 ones, so this is not the f32 file again.
        Assert.Throws<Xunit.Sdk.XunitException>(() =>
            TensorAssert.Close(expected["logits"], logits, TensorAssert.ForwardAtol, TensorAssert.ForwardRtol, "f32 logits"));
    }

    [Fact]
    public void Load_HuggingFaceFolder_ReadsWeightsAndClassNames()
    {
        string folder = Path.Combine(_temp, "hf");
        Directory.CreateDirectory(folder);
        File.Copy(VisionFixtures.PathOf("checkpoints", "resnet18_w6", "model.safetensors"), Path.Combine(folder, "model.safetensors"));
        string[] labels = ["tench", "goldfish", "shark", "ray", "cock", "hen", "ostrich", "finch", "junco", "bunting"];
        File.WriteAllText(Path.Combine(folder, "config.json"),
            "{\"model_type\": \"resnet\", \"id2label\": {" + string.Join(", ", labels.Select((l, i) => $"\"{i}\": \"{l}\"")) + "}}");

        var model = (IImageClassifier)ModelLoader.Load(folder, VisionFixtures.ArchitectureOf("resnet18_w6"));

        Assert.Equal(labels, model.ClassNames);
        IReadOnlyDictionary<string, Tensor> expected = VisionFixtures.Tensors("checkpoints", "resnet18_w6", "expected.safetensors");
        TensorAssert.Close(expected["logits"], model.Forward(expected["input"]), TensorAssert.ForwardAtol, TensorAssert.ForwardRtol, "hf logits");
    }

    [Fact]
    public void Load_MissingUnexpectedAndMisshapedKeys_ThrowsListingEach()
    {
        var tensors = new Dictionary<string, Tensor>(VisionFixtures.Tensors("checkpoints", "resnet18_w6", "model.safetensors"));
        tensors.Remove("layer2.1.bn2.running_var");
        tensors.Remove("layer4.0.downsample.0.weight");
        tensors["layer5.0.conv1.weight"] = Tensor.Zeros(3, 3);
        tensors["fc.weight"] = Tensor.Zeros(11, 48);
        string path = Path.Combine(_temp, "broken.safetensors");
        SafeTensors.Write(path, tensors);

        var e = Assert.Throws<WeightMismatchException>(() => ModelLoader.Load(path, VisionFixtures.ArchitectureOf("resnet18_w6")));

        Assert.Equal(["layer2.1.bn2.running_var", "layer4.0.downsample.0.weight"], e.Missing.Order());
        Assert.Equal(["layer5.0.conv1.weight"], e.Unexpected);
        Assert.Equal(["fc.weight: checkpoint [11, 48], model expects [10, 48]"], e.Misshaped);
        Assert.Contains("broken.safetensors", e.Message);
    }

    [Fact]
    public void Load_WrongPreset_ListsTheKeysThatDoNotFit()
    {
        string path = VisionFixtures.PathOf("checkpoints", "resnet18_w6", "model.pth");

        // resnet34 at the same width: the extra blocks are missing, nothing is unexpected.
        var deeper = new Architecture("resnet34_w6", "resnet", "", ws => new ResNet(ws, ResNetConfig.ResNet34 with { Width = 6, Classes = 10 }), []);
        var e = Assert.Throws<WeightMismatchException>(() => ModelLoader.Load(path, deeper));
        Assert.Contains("layer1.2.conv1.weight", e.Missing);
        Assert.Contains("layer3.5.bn2.num_batches_tracked", e.Missing);
        Assert.Empty(e.Unexpected);
        Assert.Empty(e.Misshaped);

        // the full-width registry preset: every shape is wrong, the message names the file and the preset.
        e = Assert.Throws<WeightMismatchException>(() => ModelLoader.Load(path, "resnet18"));
        Assert.Contains("conv1.weight: checkpoint [6, 3, 7, 7], model expects [64, 3, 7, 7]", e.Misshaped);
        Assert.Contains("fc.weight: checkpoint [10, 48], model expects [1000, 512]", e.Misshaped);
        Assert.Contains("(resnet18)", e.Message);
    }

    [Fact]
    public void Load_DataParallelPrefixAndMissingBatchCounters_AreAccepted()
    {
        IReadOnlyDictionary<string, Tensor> original = VisionFixtures.Tensors("checkpoints", "resnet18_w6", "model.safetensors");
        var tensors = original
            .Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToDictionary(kv => "module." + kv.Key, kv => kv.Value);
        string path = Path.Combine(_temp, "dataparallel_old.safetensors");
        SafeTensors.Write(path, tensors);

        var model = (IImageClassifier)ModelLoader.Load(path, VisionFixtures.ArchitectureOf("resnet18_w6"));

        IReadOnlyDictionary<string, Tensor> expected = VisionFixtures.Tensors("checkpoints", "resnet18_w6", "expected.safetensors");
        TensorAssert.Close(expected["logits"], model.Forward(expected["input"]), TensorAssert.ForwardAtol, TensorAssert.ForwardRtol, "logits");
        Assert.Equal(0f, ((ResNet)model).Bn1.NumBatchesTracked.Value.ToScalar());
    }

    [Fact]
    public void LoadImageClassifier_UnknownArchitecture_ThrowsListingKnownNames()
    {
        var e = Assert.Throws<UnravelException>(() =>
            ModelLoader.LoadImageClassifier(VisionFixtures.PathOf("checkpoints", "resnet18_w6", "model.pth"), "resnet19"));
        Assert.Contains("resnet19", e.Message);
        Assert.Contains("resnet18", e.Hint);
        Assert.Contains("vgg16_bn", e.Hint);
        Assert.Contains("small-resnet", e.Hint);
    }

    /// <summary>[N, classes] with 1 at (n, targets[n]): the seed that makes the input gradient d Σₙ logits[n, tₙ] / dx.</summary>
    private static Tensor OneHot(int[] targets, int classes)
    {
        Tensor t = Tensor.Zeros(targets.Length, classes);
        for (int n = 0; n < targets.Length; n++) t.Data[n * classes + targets[n]] = 1f;
        return t;
    }
}
