// Paths and readers for the fixtures written by tools/fixtures/models_vision.py, and the mapping from a fixture's
// config to an Architecture (reduced-width variants of the registry presets).

using System.Text.Json;
using Unravel.IO;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Models.Tests.Vision;

internal static class VisionFixtures
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "vision");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static JsonDocument Json(params string[] parts) => JsonDocument.Parse(File.ReadAllText(PathOf(parts)));

    public static IReadOnlyDictionary<string, Tensor> Tensors(params string[] parts)
    {
        using SafeTensors file = SafeTensors.Read(PathOf(parts));
        return file.ReadAll();
    }

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>The checkpoint case's architecture, rebuilt from its meta.json "config".</summary>
    public static Architecture ArchitectureOf(string checkpoint)
    {
        using JsonDocument meta = Json("checkpoints", checkpoint, "meta.json");
        JsonElement c = meta.RootElement.GetProperty("config");
        int classes = c.GetProperty("classes").GetInt32();
        Func<WeightSource, RootModule> create = c.GetProperty("family").GetString() switch
        {
            "resnet" => ResNetOf(c.GetProperty("preset").GetString()!, c.GetProperty("width").GetInt32(), classes),
            "vgg" => VggOf(c.GetProperty("preset").GetString()!, c.GetProperty("width_divisor").GetInt32(), classes),
            "small-cnn" => SmallOf(new SmallCnnConfig(Ints(c.GetProperty("widths")))
            {
                BlocksPerStage = c.GetProperty("blocks").GetInt32(),
                Residual = c.GetProperty("residual").GetBoolean(),
                BatchNorm = c.GetProperty("batch_norm").GetBoolean(),
                Classes = classes,
            }),
            var f => throw new InvalidOperationException($"unknown family {f}"),
        };
        return new Architecture(checkpoint, "fixture", checkpoint, create, []);
    }

    public static int[] Targets(string checkpoint)
    {
        using JsonDocument meta = Json("checkpoints", checkpoint, "meta.json");
        return Ints(meta.RootElement.GetProperty("targets"));
    }

    private static Func<WeightSource, RootModule> ResNetOf(string preset, int width, int classes)
    {
        ResNetConfig baseConfig = preset switch
        {
            "resnet18" => ResNetConfig.ResNet18,
            "resnet50" => ResNetConfig.ResNet50,
            _ => throw new InvalidOperationException(preset),
        };
        ResNetConfig config = baseConfig with { Width = width, Classes = classes };
        return ws => new ResNet(ws, config);
    }

    private static Func<WeightSource, RootModule> VggOf(string preset, int divisor, int classes)
    {
        VggConfig baseConfig = preset switch
        {
            "vgg11_bn" => VggConfig.Vgg11Bn,
            "vgg16" => VggConfig.Vgg16,
            _ => throw new InvalidOperationException(preset),
        };
        VggConfig config = baseConfig with { WidthDivisor = divisor, Classes = classes };
        return ws => new Vgg(ws, config);
    }

    private static Func<WeightSource, RootModule> SmallOf(SmallCnnConfig config) => ws => new SmallCnn(ws, config);
}
