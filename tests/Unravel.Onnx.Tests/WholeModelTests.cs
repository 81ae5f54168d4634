// Whole models exported from Debian's PyTorch/torchvision (tools/fixtures/onnx_models.py, random weights, reduced
// widths) run through the importer: logits and three inner activations equal PyTorch's and ONNX Runtime's on the same
// file, and the input gradient (for GPT-2 the token-embedding gradient) equals PyTorch's.

using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = Unravel.Tensors.Tensor;
using Unravel.IO;
using Unravel.Nn;
using Unravel.Models.Onnx;
using Unravel.Models.Onnx.Proto;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using Xunit.Abstractions;

namespace Unravel.Onnx.Tests;

public sealed class WholeModelTests(ITestOutputHelper output)
{
    /// <summary>The folder of a committed fixture, or of one generated at test time (absolute path).</summary>
    private static string Folder(string model) => Path.IsPathRooted(model) ? model : Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", model);

    public static TheoryData<string> Models => new()
    {
        "resnet18", "vgg11_bn", "mobilenet_v3_small", "efficientnet_b0", "convnext_tiny", "densenet121", "vit_b_16", "gpt2",
    };

    private sealed record Meta(string[] Activations, int[] Targets, bool Text);

    private static Meta ReadMeta(string model)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(model), "meta.json")));
        JsonElement r = doc.RootElement;
        return new Meta([.. r.GetProperty("activations").EnumerateArray().Select(e => e.GetString()!)],
            [.. r.GetProperty("targets").EnumerateArray().Select(e => e.GetInt32())],
            r.GetProperty("grad_of").GetString() != "input");
    }

    private static Tensor ReadInput(string model, bool text)
    {
        string path = Path.Combine(Folder(model), "input.npy");
        if (!text) return Npy.Read(path);
        (long[] data, int[] shape) = Npy.ReadInt64(path);
        return Tensor.FromArray(Array.ConvertAll(data, v => (float)v), shape);
    }

    /// <summary>|a − e| ≤ 1e-4 · max|e| + 1e-4 · |e| elementwise (1e-4 relative to the tensor's scale).</summary>
    private double AssertRelative(Tensor expected, Tensor actual, string label, float rel = 1e-4f)
    {
        (double max, float scale) = TensorAssert.CloseToScale(expected, actual, rel, label);
        output.WriteLine($"{label}: max |diff| {max:G3} (scale {scale:G3})");
        return max;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Forward_LogitsAndActivations_MatchPyTorch(string model)
    {
        Meta meta = ReadMeta(model);
        OnnxModel m = OnnxModel.Load(Path.Combine(Folder(model), "model.onnx"));
        Tensor x = ReadInput(model, meta.Text);
        ActivationCache cache = m.RunWithCache(() => m.Forward(x), meta.Activations);
        AssertRelative(Npy.Read(Path.Combine(Folder(model), "logits.npy")), cache.Output, $"{model} logits");
        for (int i = 0; i < meta.Activations.Length; i++)
            AssertRelative(Npy.Read(Path.Combine(Folder(model), $"act_{i}.npy")), cache[meta.Activations[i]], $"{model} {meta.Activations[i]}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Backward_InputGradient_MatchesPyTorch(string model)
    {
        Meta meta = ReadMeta(model);
        OnnxModel m = OnnxModel.Load(Path.Combine(Folder(model), "model.onnx"));
        Tensor x = ReadInput(model, meta.Text);
        using var tape = new Tape();
        Tensor watched;
        if (meta.Text)
        {
            Parameter wte = m.Parameters().Single(p => p.Path.EndsWith("wte.weight", StringComparison.Ordinal));
            watched = tape.Watch(wte.Value);
        }
        else watched = tape.Watch(x);
        Tensor logits = m.Forward(x);
        // d(Σ_n logits[n, target_n]) (for text: summed over positions t as well).
        Tensor seed = Tensor.Zeros(logits.Shape.ToArray());
        int batch = logits.Dim(0), classes = logits.Dim(-1), perRow = logits.Length / batch / classes;
        for (int n = 0; n < batch; n++)
            for (int t = 0; t < perRow; t++)
                seed.Data[(n * perRow + t) * classes + meta.Targets[n]] = 1f;
        GradStore grads = tape.Backward(logits, seed);
        Tensor expected = Npy.Read(Path.Combine(Folder(model), "grad_input.npy"));
        Tensor actual = grads[watched] ?? throw new InvalidOperationException("no gradient reached the input");
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = expected.Data[i] - actual.Data[i];
            num += d * d;
            den += (double)expected.Data[i] * expected.Data[i];
        }
        double relL2 = Math.Sqrt(num / Math.Max(den, 1e-30));
        output.WriteLine($"{model} gradient: relative L2 error {relL2:G3}");
        if (!Path.IsPathRooted(model))
        {
            AssertRelative(expected, actual, $"{model} gradient", rel: 1e-3f);
            return;
        }
        // Full-size deep ReLU nets: f32 round-off differences of order 1e-6 flip a few ReLUs (and max-pool choices) whose
        // inputs are within round-off of a kink; each flip moves the gradient over its receptive field (GoogLeNet: 2.6 %
        // of the entries, relative L2 error 2e-3). The smooth ViT-B/16 agrees to 2e-6. The gradient as a whole must agree.
        Assert.True(relL2 < 5e-3, $"{model} gradient: relative L2 error {relL2:G3}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Forward_LogitsAndActivations_MatchOnnxRuntime(string model)
    {
        Meta meta = ReadMeta(model);
        string file = Path.Combine(Folder(model), "model.onnx");
        OnnxModel m = OnnxModel.Load(file);
        Tensor x = ReadInput(model, meta.Text);
        ActivationCache cache = m.RunWithCache(() => m.Forward(x), meta.Activations);

        // The inner activations become extra graph outputs so that ONNX Runtime reports them too.
        IReadOnlyDictionary<string, string> tensorOf = m.TensorOfModule;
        ModelProto proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(file));
        foreach (string a in meta.Activations)
            proto.Graph.Output.Add(new ValueInfoProto
            {
                Name = tensorOf[a],
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)OnnxElementType.Float } },
            });
        using var session = new InferenceSession(proto.ToByteArray());
        int[] dims = x.Shape.ToArray();
        NamedOnnxValue input = meta.Text
            ? NamedOnnxValue.CreateFromTensor("input", new DenseTensor<long>(Array.ConvertAll(x.ToArray(), v => (long)v), dims))
            : NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x.ToArray(), dims));
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([input]);
        Tensor Ort(string name)
        {
            DisposableNamedOnnxValue r = results.Single(v => v.Name == name);
            Tensor<float> t = r.AsTensor<float>();
            return Tensor.FromArray(t.ToArray(), [.. t.Dimensions.ToArray()]);
        }
        AssertRelative(Ort("logits"), cache.Output, $"{model} logits vs ORT");
        foreach (string a in meta.Activations)
            AssertRelative(Ort(tensorOf[a]), cache[a], $"{model} {a} vs ORT");
    }
}
