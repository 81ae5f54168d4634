// Readers for the fixtures written by tools/fixtures/lrp.py and the small models the attribution tests build.

using System.Text.Json;
using Unravel.Models;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Tests.Attribution;

internal static class LrpFixtures
{
    private static readonly Lazy<JsonDocument> s_doc = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lrp", "lrp.json"))));

    public static JsonElement Case(string name) =>
        s_doc.Value.RootElement.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    public static Tensor Input(string arch) => TensorOf(s_doc.Value.RootElement.GetProperty("inputs").GetProperty(arch));

    public static Tensor TensorOf(JsonElement e)
    {
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        float[] data = e.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        return Tensor.FromArray(data, shape);
    }

    public static RootModule SmallResNet16() =>
        ModelLoader.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lrp", "small_resnet16.safetensors"), "small-resnet-16");

    public static RootModule Vgg11BnD32() =>
        ModelLoader.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lrp", "vgg11_bn_d32.safetensors"),
            new Architecture("vgg11_bn/32", "vgg", "fixture", ws => new Vgg(ws, VggConfig.Vgg11Bn with { WidthDivisor = 32, Classes = 10 }), []));

    /// <summary>Sets every bias parameter (conv, linear) of <paramref name="model"/> to zero.</summary>
    public static T ZeroBiases<T>(T model) where T : Module
    {
        foreach (Parameter p in model.Parameters())
            if (p.Path.EndsWith(".bias", StringComparison.Ordinal) && !p.IsBuffer) p.Value.Data.Clear();
        return model;
    }

    /// <summary>Random batch-norm affine parameters and running statistics (so that folding is not trivial).</summary>
    public static void RandomizeBatchNorms(Module model, int seed)
    {
        var rng = new Random(seed);
        foreach (Module m in model.Modules())
        {
            if (m is not Unravel.Nn.Layers.BatchNorm2d bn) continue;
            for (int c = 0; c < bn.Channels; c++)
            {
                bn.W.Value.Data[c] = 0.5f + (float)rng.NextDouble();
                bn.B.Value.Data[c] = 0.2f * ((float)rng.NextDouble() - 0.5f);
                bn.RunningMean.Value.Data[c] = 0.2f * ((float)rng.NextDouble() - 0.5f);
                bn.RunningVar.Value.Data[c] = 0.5f + (float)rng.NextDouble();
            }
        }
    }
}
