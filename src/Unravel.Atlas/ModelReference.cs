// The one parser of what users pass as MODEL, used by every command, the explorer and AtlasSession:
//   a Hugging Face folder        its config.json picks the family and the exact config (any GPT-2 size)
//   a checkpoint file + --arch   .safetensors / .pt / .pth into a registry architecture
//   an .onnx file                imported into the engine (architecture "onnx"); image classifiers get the image surface
//   a file Unravel wrote         its safetensors metadata records the architecture and config: no --arch needed
//   a shipped weights file       the model card (model.json) next to it names the architecture
//   a shipped model name         "fashion-small-resnet": the card's weights and architecture
//   an architecture name         "resnet50": seeded random weights, for shapes and timing
// Class names come from the model card or the checkpoint folder, never from file names.

using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.IO;
using Unravel.Models;
using Unravel.Models.Onnx;
using Unravel.Models.Text;
using Unravel.Models.Vision;
using Unravel.Nn;

namespace Unravel.Atlas;

/// <summary>Opens models from a MODEL argument.</summary>
public static class ModelReference
{
    /// <summary>safetensors metadata key with the registry architecture of a file Unravel wrote.</summary>
    public const string ArchitectureKey = "unravel.architecture";

    /// <summary>safetensors metadata key with the exact config (JSON) of a file Unravel wrote, when the preset does not say it.</summary>
    public const string ConfigKey = "unravel.config";

    /// <summary>Opens the model <paramref name="model"/> refers to.</summary>
    /// <param name="model">A folder, a file, a shipped model name or an architecture name (see the file header).</param>
    /// <param name="arch">Architecture of a checkpoint file (--arch), or null to take it from the file, its card or its folder.</param>
    /// <param name="seed">Seed of random weights (architecture names only).</param>
    /// <param name="config">The exact config recorded in an atlas manifest, or null.</param>
    /// <exception cref="UnravelException">Nothing of that name, --arch needed or unknown, or the config does not fit.</exception>
    /// <exception cref="CheckpointFormatException">The weights are malformed.</exception>
    /// <exception cref="WeightMismatchException">The weights do not fit the architecture.</exception>
    public static LoadedModel Load(string model, string? arch = null, int seed = 0, JsonObject? config = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        LoadedModel loaded;
        if (Directory.Exists(model)) loaded = FromFolder(model, arch, config);
        else if (File.Exists(model)) loaded = FromFile(model, arch, config);
        else if (ShippedModel.Named(model) is { } shipped) loaded = FromFile(shipped.WeightsPath, arch ?? shipped.Architecture, config);
        else if (ModelRegistry.Architectures.Any(a => string.Equals(a.Name, model, StringComparison.OrdinalIgnoreCase)))
        {
            Architecture a = Find(model);
            RootModule m = a.Create(WeightSource.Initialize(seed));
            loaded = new LoadedModel(m, a.Name, $"{a.Name} (random weights, seed {seed})", null, true, ConfigOf(m));
        }
        else
        {
            throw new UnravelException($"'{model}' is neither a file, a folder, a shipped model nor a known architecture.",
                $"pass a checkpoint (.safetensors, .pth, a Hugging Face folder), a shipped model ({string.Join(", ", ShippedModel.All().Select(s => s.Name))}) " +
                $"or one of: {string.Join(", ", ModelRegistry.Architectures.Select(a => a.Name))}");
        }
        loaded.Model.Eval();
        if (loaded.ClassNames is { } names && loaded.Model is IImageClassifier c && c.ClassNames is null && names.Count == c.Classes) c.ClassNames = names;
        return loaded;
    }

    /// <summary>The safetensors metadata that lets <see cref="Load"/> re-open a file Unravel writes without --arch.</summary>
    public static Dictionary<string, string> Metadata(string architecture, RootModule model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var meta = new Dictionary<string, string> { ["format"] = "pt", [ArchitectureKey] = architecture };
        if (ConfigOf(model) is { } config) meta[ConfigKey] = config.ToJsonString();
        return meta;
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using FileStream f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    /// <summary>The exact config of models whose preset name does not pin their shape (GPT-2: the HF config.json; ViT: its
    /// <see cref="ViTConfig"/>), else null.</summary>
    public static JsonObject? ConfigOf(RootModule model) => model switch
    {
        Gpt2 g => JsonNode.Parse(g.Config.ToHuggingFaceJson())!.AsObject(),
        ViT v => JsonSerializer.SerializeToNode(v.Config)!.AsObject(),
        _ => null,
    };

    /// <summary>Architecture name of models imported from ONNX files (recorded in atlas manifests).</summary>
    public const string OnnxArchitecture = "onnx";

    private static LoadedModel FromFile(string file, string? arch, JsonObject? config, ShippedModel? card = null)
    {
        string full = Path.GetFullPath(file);
        if (full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || arch == OnnxArchitecture) return FromOnnx(file, full, arch);
        card ??= ShippedModel.ForWeights(full);
        Dictionary<string, string>? meta = null;
        if (arch is null && full.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            using SafeTensors st = SafeTensors.Read(full);
            meta = new Dictionary<string, string>(st.Metadata);
        }
        arch ??= meta?.GetValueOrDefault(ArchitectureKey) ?? card?.Architecture
            ?? throw new UnravelException($"{file}: a checkpoint file needs its architecture.",
                $"add --arch NAME; known: {string.Join(", ", ModelRegistry.Architectures.Select(a => a.Name))}");
        Architecture a = Find(arch);
        string sha256 = Sha256Of(full);
        if (card?.WeightsSha256 is { } expected && !string.Equals(expected, sha256, StringComparison.OrdinalIgnoreCase))
            throw new UnravelException($"{file}: the weights' SHA-256 {sha256[..12]}… differs from {expected[..Math.Min(12, expected.Length)]}… recorded in the model card of {card.Name}.",
                "restore the shipped weights (re-install unravel), or pass them as a plain checkpoint with --arch");
        if (config is null && meta?.GetValueOrDefault(ConfigKey) is { } recorded) config = JsonNode.Parse(recorded) as JsonObject;
        RootModule m = (a.Family, config) switch
        {
            ("gpt2", not null) => Gpt2.Load(full, Gpt2Of(config, file)),
            ("vit", not null) => ModelLoader.Load(full, a with { Create = ws => new ViT(ws, ViTOf(config, file)) }),
            _ => ModelLoader.Load(full, a),
        };
        CheckFinite(m, file);
        return new LoadedModel(m, a.Name, full, sha256, false, ConfigOf(m), card?.ClassNames, card);
    }

    /// <summary>Refuses weights holding NaN or ±Inf, naming the first such tensor: every output would be non-finite.</summary>
    /// <exception cref="UnravelException">A parameter or buffer is not finite.</exception>
    public static void CheckFinite(RootModule model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach ((string name, Tensor t) in model.StateDict())
        {
            ReadOnlySpan<float> x = t.Data;
            int bad = 0;
            for (int i = 0; i < x.Length; i++) if (!float.IsFinite(x[i])) bad++;
            if (bad > 0)
                throw new UnravelException($"{source}: tensor '{name}' {t.ShapeString} holds {bad} non-finite value{(bad == 1 ? "" : "s")} (NaN or ±Inf); every output would be non-finite.",
                    "the checkpoint is damaged or was saved from a diverged training run; use an earlier checkpoint");
        }
    }

    private static LoadedModel FromOnnx(string file, string full, string? arch)
    {
        if (arch is not null && arch != OnnxArchitecture)
            throw new UnravelException($"{file}: an ONNX file carries its own graph; --arch {arch} does not apply.", "leave out --arch");
        OnnxModel m = OnnxModel.Load(full);
        return new LoadedModel(m, OnnxArchitecture, full, Sha256Of(full), false);
    }

    private static LoadedModel FromFolder(string folder, string? arch, JsonObject? config)
    {
        string full = Path.GetFullPath(folder);
        string configFile = Path.Combine(full, "config.json");
        string? modelType = null;
        if (File.Exists(configFile))
        {
            try
            {
                using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(configFile));
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model_type", out JsonElement t))
                    modelType = t.GetString();
            }
            catch (JsonException e)
            {
                throw new CheckpointFormatException(configFile, "config.json", $"not valid JSON ({e.Message})", "re-save the config with a JSON tool", e);
            }
        }
        string? weights = new[] { "model.safetensors", "pytorch_model.bin" }.Select(f => Path.Combine(full, f)).FirstOrDefault(File.Exists);
        string? sha = weights is null ? null : Sha256Of(weights);
        string? cardFile = Path.Combine(full, "model.json") is var c && File.Exists(c) ? c : null;
        if (cardFile is not null && modelType is null)
        {
            ShippedModel card = ShippedModel.Read(cardFile);
            return FromFile(card.WeightsPath, arch ?? card.Architecture, config, card) with { Card = card, ClassNames = card.ClassNames };
        }
        if (modelType == "gpt2" && (arch is null || Find(arch).Family == "gpt2"))
        {
            Gpt2 gpt2 = Gpt2.Load(full);
            CheckFinite(gpt2, folder);
            if (config is not null && Gpt2Of(config, folder) != gpt2.Config)
                throw new UnravelException($"{configFile}: the folder's config ({gpt2.Config}) differs from the recorded one ({Gpt2Of(config, folder)}).",
                    "the folder's weights were replaced since the atlas was collected; re-collect it");
            string name = ModelRegistry.Architectures.FirstOrDefault(p => p.Family == "gpt2" && PresetConfig(p) == gpt2.Config)?.Name ?? "gpt2";
            return new LoadedModel(gpt2, name, full, sha, false, ConfigOf(gpt2));
        }
        if (arch is null)
            throw new UnravelException($"{folder}: cannot tell the architecture (config.json model_type: {modelType ?? "absent"}).",
                "add --arch NAME, e.g. --arch resnet50");
        Architecture a = Find(arch);
        RootModule m = ModelLoader.Load(full, a);
        CheckFinite(m, folder);
        return new LoadedModel(m, a.Name, full, sha, false, ConfigOf(m));
    }

    private static Gpt2Config? PresetConfig(Architecture a) => a.Name switch
    {
        "gpt2" => Gpt2Config.Small, "gpt2-medium" => Gpt2Config.Medium, "gpt2-large" => Gpt2Config.Large, "gpt2-xl" => Gpt2Config.Xl,
        "brown-gpt2" => Gpt2Config.Brown, _ => null,
    };

    private static Gpt2Config Gpt2Of(JsonObject config, string location)
    {
        using JsonDocument doc = JsonDocument.Parse(config.ToJsonString());
        return Gpt2Config.FromHuggingFace(doc.RootElement, location);
    }

    private static ViTConfig ViTOf(JsonObject config, string location)
    {
        try
        {
            return config.Deserialize<ViTConfig>() ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(location, ConfigKey, $"not a ViT config ({e.Message})", "re-save the weights with unravel", e);
        }
    }

    private static Architecture Find(string name) => ModelRegistry.Get(name);
}
