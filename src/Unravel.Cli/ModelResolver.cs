// Turns the MODEL argument of a command into a model: a Hugging Face folder, a checkpoint file with --arch, or a
// registry name (seeded random weights, for inspecting shapes and timing).

using System.Security.Cryptography;
using System.Text.Json;
using Unravel.Models;
using Unravel.Models.Text;
using Unravel.Nn;

namespace Unravel.Cli;

/// <summary>A model ready to run, with where it came from.</summary>
internal sealed record LoadedModel(RootModule Model, string Architecture, string Source, string? Sha256, bool RandomWeights);

internal static class ModelResolver
{
    /// <exception cref="UnravelUserException">The argument names no file, folder or architecture, or --arch is needed.</exception>
    public static LoadedModel Resolve(string model, string? arch, int seed = 0)
    {
        if (Directory.Exists(model)) return FromFolder(model, arch);
        if (File.Exists(model))
        {
            if (arch is null)
                throw new UnravelUserException($"{model}: a checkpoint file needs its architecture.",
                    $"add --arch NAME; known: {string.Join(", ", ModelRegistry.Architectures.Select(a => a.Name))}");
            Architecture a = Find(arch);
            return new LoadedModel(ModelLoader.Load(model, a), a.Name, Path.GetFullPath(model), Sha256Of(model), false);
        }
        if (ModelRegistry.Architectures.Any(a => string.Equals(a.Name, model, StringComparison.OrdinalIgnoreCase)))
        {
            Architecture a = Find(model);
            RootModule m = a.Create(WeightSource.Initialize(seed));
            m.Eval();
            return new LoadedModel(m, a.Name, $"{a.Name} (random weights, seed {seed})", null, true);
        }
        throw new UnravelUserException($"'{model}' is neither a file, a folder nor a known architecture.",
            $"pass a checkpoint (.safetensors, .pth, a Hugging Face folder) or one of: {string.Join(", ", ModelRegistry.Architectures.Select(a => a.Name))}");
    }

    private static LoadedModel FromFolder(string folder, string? arch)
    {
        string config = Path.Combine(folder, "config.json");
        string? modelType = null;
        if (File.Exists(config))
        {
            try
            {
                using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(config));
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model_type", out JsonElement t))
                    modelType = t.GetString();
            }
            catch (JsonException e)
            {
                throw new UnravelUserException($"{config}: not valid JSON ({e.Message}).", "re-save the config with a JSON tool");
            }
        }
        string weights = new[] { "model.safetensors", "pytorch_model.bin" }.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists) ?? folder;
        string? sha = File.Exists(weights) ? Sha256Of(weights) : null;
        if (arch is null && modelType == "gpt2")
        {
            RootModule gpt2 = Gpt2.Load(folder);
            return new LoadedModel(gpt2, "gpt2", Path.GetFullPath(folder), sha, false);
        }
        if (arch is null)
            throw new UnravelUserException($"{folder}: cannot tell the architecture (config.json model_type: {modelType ?? "absent"}).",
                "add --arch NAME, e.g. --arch resnet50");
        Architecture a = Find(arch);
        return new LoadedModel(ModelLoader.Load(folder, a), a.Name, Path.GetFullPath(folder), sha, false);
    }

    private static Architecture Find(string name)
    {
        try { return ModelRegistry.Get(name); }
        catch (ArgumentException e) { throw new UnravelUserException(e.Message, "see `unravel models` for the list"); }
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using FileStream f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}
